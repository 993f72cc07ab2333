"""How the command line reports a user's mistake: one line on stderr and exit status 2,
never a traceback (argparse's own errors included)."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class UsageError(Exception):
    """A mistake in the command line or in a file it names; the message is one sentence
    that names the option or file and never quotes an event's content."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (subcommand parsers inherit the class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def fail(command: str, message: str, status: int = 2) -> int:
    print(f"gateway {command}: {message}", file=sys.stderr)
    return status
