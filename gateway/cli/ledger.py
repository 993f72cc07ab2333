"""`gateway ledger`: query the provision ledger (APPI art. 29 records)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from gateway.cli.loading import config_arg, load_or_exit, started
from gateway.cli.output import json_lines, json_option, table
from gateway.cli.times import iso, parse_time

COLUMNS = ("delivered_at", "destination", "country", "purposes", "categories", "message_id")


def add(commands: Any) -> None:
    ledger = commands.add_parser("ledger", help="query the provision ledger")
    config_arg(ledger)
    ledger.add_argument("--subject", help="a userId, anonymousId or advertising ID")
    ledger.add_argument("--destination", help="only records of this destination")
    ledger.add_argument(
        "--since", type=parse_time, help="from this time: ISO-8601 (UTC) or 30m, 24h, 7d ago"
    )
    ledger.add_argument(
        "--until", type=parse_time, help="up to this time: ISO-8601 (UTC) or 30m, 24h, 7d ago"
    )
    ledger.add_argument("--limit", type=positive, default=1000, help="most records (1000)")
    json_option(ledger)


def positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f'"{value}" is not a whole number of 1 or more')
    return number


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_query(args))


async def _query(args: argparse.Namespace) -> int:
    async with started(load_or_exit(args.config)) as runtime:
        keys = list(runtime.subject_keys.for_identifier(args.subject)) if args.subject else None
        records = await runtime.store.ledger.query(
            subject_keys=keys,
            destination=args.destination,
            since=args.since,
            until=args.until,
            limit=args.limit,
        )
    rows = [{**r.as_dict(), "delivered_at": iso(r.delivered_at)} for r in records]
    if args.json:
        json_lines(rows)
    else:
        table(COLUMNS, [[_cell(row[c]) for c in COLUMNS] for row in rows])
    print(f"{len(records)} provision record(s)", file=sys.stderr)
    return 0


def _cell(value: object) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)
