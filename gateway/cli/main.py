"""`gateway serve | worker | check | explain | plan | tcf | ledger | deadletter | dsar |
migrate | schema`: the parser and the dispatch, an explicit dict from command name to module."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from types import ModuleType

from gateway import __version__
from gateway.cli import (
    check,
    deadletter,
    dsar,
    explain,
    ledger,
    migrate,
    plan,
    schema,
    serve,
    tcf,
    worker,
)
from gateway.cli.usage import Parser, UsageError, fail
from gateway.errors import StoreUnavailable

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
    "schema": schema,
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="gateway", description="consent gateway")
    parser.add_argument("--version", action="version", version=f"gateway {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do (COMMAND --help: more)"
    )
    for module in COMMANDS.values():
        module.add(commands)
    return parser


# Long-running commands configure logging; the others answer in one line on stderr, so the
# store's own fault log (which would otherwise reach Python's last-resort handler) stays quiet.
LOGGING_COMMANDS = frozenset({"serve", "worker"})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command not in LOGGING_COMMANDS:
        logging.getLogger("gateway").addHandler(logging.NullHandler())
    try:
        status: int = COMMANDS[args.command].run(args)
    except UsageError as exc:
        return fail(args.command, str(exc))
    except StoreUnavailable as exc:
        # Our own sentences (the cause's type, never a value), so they may be shown.
        return fail(
            args.command, f"the store cannot be reached: {exc} (check storage in the config)", 1
        )
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("GATEWAY_TRACEBACK"):
            raise
        # The type and place only: an exception's message may quote an event.
        where = exc.__traceback__
        while where is not None and where.tb_next is not None:
            where = where.tb_next
        site = f" at {where.tb_frame.f_code.co_filename}:{where.tb_lineno}" if where else ""
        message = f"internal error {type(exc).__name__}{site} (GATEWAY_TRACEBACK=1 shows it)"
        return fail(args.command, message, 70)
    return status
