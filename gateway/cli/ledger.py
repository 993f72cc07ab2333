"""`gateway ledger`: query the provision ledger (APPI art. 29 records)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson

from gateway.cli.loading import config_arg, load_or_exit, started
from gateway.cli.times import iso, parse_time


def add(commands: Any) -> None:
    ledger = commands.add_parser("ledger", help="query the provision ledger")
    config_arg(ledger)
    ledger.add_argument("--subject", help="a userId, anonymousId or advertising ID")
    ledger.add_argument("--destination")
    ledger.add_argument("--since", help="ISO date/time")
    ledger.add_argument("--until", help="ISO date/time")
    ledger.add_argument("--limit", type=int, default=1000)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_query(args))


async def _query(args: argparse.Namespace) -> int:
    async with started(load_or_exit(args.config)) as runtime:
        keys = list(runtime.subject_keys.for_identifier(args.subject)) if args.subject else None
        records = await runtime.store.ledger.query(
            subject_keys=keys,
            destination=args.destination,
            since=parse_time(args.since),
            until=parse_time(args.until),
            limit=args.limit,
        )
    for record in records:
        row = record.as_dict()
        row["delivered_at"] = iso(record.delivered_at)
        sys.stdout.write(orjson.dumps(row).decode() + "\n")
    print(f"{len(records)} provision record(s)", file=sys.stderr)
    return 0
