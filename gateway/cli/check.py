"""`gateway check`: validate the config directory in one pass."""

from __future__ import annotations

import argparse
from typing import Any

from gateway.cli.loading import config_arg, load_or_exit


def add(commands: Any) -> None:
    check = commands.add_parser("check", help="validate the config directory")
    config_arg(check)


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    print(config.summary())
    return 0
