"""`gateway check`: validate the config directory in one pass, and report departures from
the company policy (warnings; errors with --strict)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gateway.cli.loading import config_arg, load_or_exit
from gateway.config.safeguards import departures


def add(commands: Any) -> None:
    check = commands.add_parser("check", help="validate the config directory")
    config_arg(check)
    check.add_argument(
        "--strict",
        action="store_true",
        help="departures from the company policy are errors, not warnings",
    )


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    print(config.summary())
    found = departures(config)
    label = "error" if args.strict else "warning"
    for departure in found:
        print(f"{label}: {departure}", file=sys.stderr)
    if found and args.strict:
        print(f"{len(found)} departure(s) from the company policy (--strict)", file=sys.stderr)
        return 1
    return 0
