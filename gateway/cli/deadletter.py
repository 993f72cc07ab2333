"""`gateway deadletter list | replay | drop`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson

from gateway.cli.loading import config_arg, load_or_exit, started
from gateway.cli.times import iso


def add(commands: Any) -> None:
    dead = commands.add_parser("deadletter", help="list, replay or drop dead letters")
    dead_commands = dead.add_subparsers(dest="dead_command", required=True)
    for name in ("list", "replay", "drop"):
        sub = dead_commands.add_parser(name)
        config_arg(sub)
        sub.add_argument("--destination")
        sub.add_argument("--id", action="append", dest="ids", help="only these entries")
        sub.add_argument("--limit", type=int, default=100)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_act(args))


async def _act(args: argparse.Namespace) -> int:
    async with started(load_or_exit(args.config)) as runtime:
        dead_letters = runtime.store.dead_letters
        if args.dead_command == "list":
            for entry in await dead_letters.entries(args.destination, args.limit):
                row = {
                    "id": entry.ref,
                    "destination": entry.item.destination,
                    "idempotency_key": entry.item.idempotency_key,
                    "attempts": entry.attempts,
                    "reason": entry.reason,
                    "dead_at": iso(entry.dead_at),
                }
                sys.stdout.write(orjson.dumps(row).decode() + "\n")
            return 0
        action = dead_letters.replay if args.dead_command == "replay" else dead_letters.drop
        count = await action(args.destination, args.ids)
    verb = "replayed" if args.dead_command == "replay" else "dropped"
    print(f"{verb} {count} dead letter(s)")
    return 0
