"""`gateway serve | worker | check | explain | plan | tcf | ledger | deadletter | dsar | migrate`:
the parser and the dispatch, an explicit dict from command name to module."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from types import ModuleType

from gateway.cli import (
    check,
    deadletter,
    dsar,
    explain,
    ledger,
    migrate,
    plan,
    serve,
    tcf,
    worker,
)

COMMANDS: dict[str, ModuleType] = {
    "serve": serve,
    "worker": worker,
    "check": check,
    "explain": explain,
    "plan": plan,
    "tcf": tcf,
    "ledger": ledger,
    "deadletter": deadletter,
    "dsar": dsar,
    "migrate": migrate,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="consent gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS.values():
        module.add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    status: int = COMMANDS[args.command].run(args)
    return status
