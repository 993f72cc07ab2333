"""`gateway deadletter list | replay | drop`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from gateway.cli.ledger import positive
from gateway.cli.loading import config_arg, load_or_exit, started
from gateway.cli.output import json_lines, json_option, table
from gateway.cli.times import age, iso
from gateway.cli.usage import UsageError
from gateway.store.types import DeadLetter, DeadLetters

COLUMNS = ("id", "message_id", "destination", "reason", "age", "detail")
HELP = {
    "list": "show dead letters (newest last)",
    "replay": "put dead letters back in the outbox (same idempotency keys)",
    "drop": "delete dead letters for good (needs --destination, --id or --all)",
}


def add(commands: Any) -> None:
    dead = commands.add_parser("deadletter", help="list, replay or drop dead letters")
    dead_commands = dead.add_subparsers(
        dest="dead_command", required=True, metavar="ACTION", help="list, replay or drop"
    )
    for name, text in HELP.items():
        sub = dead_commands.add_parser(name, help=text)
        config_arg(sub)
        sub.add_argument("--destination", help="only this destination's dead letters")
        sub.add_argument(
            "--id", action="append", dest="ids", help="only this entry (repeatable; see list)"
        )
        if name == "list":
            sub.add_argument("--limit", type=positive, default=100, help="most entries (100)")
            json_option(sub)
        if name == "drop":
            sub.add_argument("--all", action="store_true", help="every destination's")
            sub.add_argument("--yes", action="store_true", help="do not ask (on a terminal)")


def run(args: argparse.Namespace) -> int:
    if args.dead_command == "drop" and not (args.destination or args.ids or args.all):
        raise UsageError("drop needs --destination, --id or --all (nothing was dropped)")
    return asyncio.run(_act(args))


async def _act(args: argparse.Namespace) -> int:
    async with started(load_or_exit(args.config)) as runtime:
        dead_letters = runtime.store.dead_letters
        if args.dead_command == "list":
            _print(await dead_letters.entries(args.destination, args.limit), args.json)
            return 0
        asks = args.dead_command == "drop" and not args.yes and sys.stdin.isatty()
        if asks and not await _confirm(dead_letters, args):
            print("nothing dropped", file=sys.stderr)
            return 1
        action = dead_letters.replay if args.dead_command == "replay" else dead_letters.drop
        count = await action(args.destination, args.ids)
    verb = "replayed" if args.dead_command == "replay" else "dropped"
    print(f"{verb} {count} dead letter(s)")
    return 0


async def _confirm(dead_letters: DeadLetters, args: argparse.Namespace) -> bool:
    found = await dead_letters.entries(args.destination, 1_000_000)
    if args.ids:
        found = [d for d in found if d.ref in set(args.ids)]
    where = f"for {args.destination}" if args.destination else "for every destination"
    question = f"drop {len(found)} dead letter(s) {where} for good? [y/N] "
    answer = await asyncio.to_thread(input, question)
    return answer.strip().lower() in ("y", "yes")


def code(reason: str) -> str:
    """The reason as gateway_dead_letters_total labels it."""
    return "gave_up" if reason.startswith("gave up") else "fatal"


def _print(entries: list[DeadLetter], as_json: bool) -> None:
    now = time.time()
    rows = [
        {
            "id": e.ref,
            "message_id": e.item.message_id,
            "destination": e.item.destination,
            "reason": code(e.reason),
            "detail": e.reason,
            "attempts": e.attempts,
            "idempotency_key": e.item.idempotency_key,
            "created_at": iso(e.item.created_at),
            "dead_at": iso(e.dead_at),
            "age": age(e.item.created_at, now),
        }
        for e in entries
    ]
    if as_json:
        json_lines(rows)
    else:
        table(COLUMNS, [[row[c] for c in COLUMNS] for row in rows])
    print(f"{len(rows)} dead letter(s)", file=sys.stderr)
