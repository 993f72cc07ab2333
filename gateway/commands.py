"""The operator commands beyond serve/worker/check: explain, tcf, ledger, deadletter, dsar."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from gateway.config.loader import Config

ConfigArg = Callable[[argparse.ArgumentParser], None]


def add_commands(commands: Any, config_arg: ConfigArg) -> None:
    explain = commands.add_parser("explain", help="show what the policy does to an event")
    config_arg(explain)
    explain.add_argument("event", help="event JSON file (Segment Spec), or - for stdin")
    explain.add_argument("--header", action="append", default=[], help="e.g. 'Sec-GPC: 1'")
    explain.add_argument("--write-key", help="source write key (default: the first source)")
    explain.add_argument("--json", action="store_true", help="print the trace as JSON")

    tcf = commands.add_parser("tcf", help="IAB TCF tools")
    tcf_commands = tcf.add_subparsers(dest="tcf_command", required=True)
    decode = tcf_commands.add_parser("decode", help="decode TC strings (- reads stdin)")
    decode.add_argument("strings", nargs="+")

    ledger = commands.add_parser("ledger", help="query the provision ledger")
    config_arg(ledger)
    ledger.add_argument("--subject", help="a userId, anonymousId or advertising ID")
    ledger.add_argument("--destination")
    ledger.add_argument("--since", help="ISO date/time")
    ledger.add_argument("--until", help="ISO date/time")
    ledger.add_argument("--limit", type=int, default=1000)

    dead = commands.add_parser("deadletter", help="list, replay or drop dead letters")
    dead_commands = dead.add_subparsers(dest="dead_command", required=True)
    for name in ("list", "replay", "drop"):
        sub = dead_commands.add_parser(name)
        config_arg(sub)
        sub.add_argument("--destination")
        sub.add_argument("--id", action="append", dest="ids", help="only these entries")
        sub.add_argument("--limit", type=int, default=100)

    from gateway.privacy.dsar_cli import add_dsar

    add_dsar(commands, config_arg)


def run_command(args: argparse.Namespace) -> int:
    if args.command == "tcf":
        return tcf_decode(args.strings)
    if args.command == "dsar":
        from gateway.privacy.dsar_cli import run_dsar

        return run_dsar(args)
    handlers: dict[str, Callable[[Config, argparse.Namespace], Coroutine[Any, Any, int]]] = {
        "explain": explain,
        "ledger": ledger,
        "deadletter": deadletter,
    }
    from gateway.cli import load_or_exit

    return asyncio.run(handlers[args.command](load_or_exit(args.config), args))


def tcf_decode(strings: list[str]) -> int:
    """One JSON line per TC string (`-` stands for stdin, one string a line); a string that
    does not decode prints {"error": ...} on its line and makes the exit status 1."""
    from gateway.policy.tcf import TCFError, decode

    status = 0
    for value in _tc_strings(strings):
        try:
            out: dict[str, Any] = decode(value).as_dict()
        except TCFError as exc:
            out, status = {"error": str(exc)}, 1
        sys.stdout.write(orjson.dumps(out, option=orjson.OPT_SORT_KEYS).decode() + "\n")
    return status


def _tc_strings(arguments: list[str]) -> list[str]:
    strings: list[str] = []
    for argument in arguments:
        if argument != "-":
            strings.append(argument)
            continue
        # Bytes, not text: a line that is not UTF-8 is reported like any other bad string.
        text = sys.stdin.buffer.read().decode("utf-8", "replace")
        strings += [line.strip() for line in text.splitlines() if line.strip()]
    return strings


async def explain(config: Config, args: argparse.Namespace) -> int:
    from gateway.app import Gateway
    from gateway.explain import explain_event, render_text

    raw = sys.stdin.buffer.read() if args.event == "-" else _read(Path(args.event))
    headers = dict(_header(h) for h in args.header)
    gateway = Gateway(config, run_worker=False)
    runtime = await gateway.start()
    try:
        result = await explain_event(runtime, raw, headers, args.write_key)
    finally:
        await gateway.stop()
    if args.json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(render_text(result))
    return 0 if "error" not in result else 1


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _header(text: str) -> tuple[str, str]:
    name, _, value = text.partition(":")
    return name.strip().lower(), value.strip()


async def ledger(config: Config, args: argparse.Namespace) -> int:
    from gateway.app import Gateway

    gateway = Gateway(config, run_worker=False)
    runtime = await gateway.start()
    try:
        keys = list(runtime.subject_keys.for_identifier(args.subject)) if args.subject else None
        records = await runtime.store.ledger.query(
            subject_keys=keys,
            destination=args.destination,
            since=_time(args.since),
            until=_time(args.until),
            limit=args.limit,
        )
    finally:
        await gateway.stop()
    for record in records:
        row = record.as_dict()
        row["delivered_at"] = _iso(record.delivered_at)
        sys.stdout.write(orjson.dumps(row).decode() + "\n")
    print(f"{len(records)} provision record(s)", file=sys.stderr)
    return 0


async def deadletter(config: Config, args: argparse.Namespace) -> int:
    from gateway.app import Gateway

    gateway = Gateway(config, run_worker=False)
    runtime = await gateway.start()
    outbox = runtime.store.outbox
    try:
        if args.dead_command == "list":
            for entry in await outbox.dead_letters(args.destination, args.limit):
                row = {
                    "id": entry.ref,
                    "destination": entry.item.destination,
                    "idempotency_key": entry.item.idempotency_key,
                    "attempts": entry.attempts,
                    "reason": entry.reason,
                    "dead_at": _iso(entry.dead_at),
                }
                sys.stdout.write(orjson.dumps(row).decode() + "\n")
            return 0
        action = outbox.replay if args.dead_command == "replay" else outbox.drop_dead
        count = await action(args.destination, args.ids)
        verb = "replayed" if args.dead_command == "replay" else "dropped"
        print(f"{verb} {count} dead letter(s)")
        return 0
    finally:
        await gateway.stop()


def _time(value: str | None) -> float | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment.timestamp() if moment.tzinfo else moment.astimezone().timestamp()


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
