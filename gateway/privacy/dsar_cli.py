"""`gateway dsar ...` (filled in by the data-subject-request work)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_dsar(commands: Any, config_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    return None


def run_dsar(args: argparse.Namespace) -> int:
    return 2
