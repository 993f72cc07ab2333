"""`gateway explain`: what the policy and the forwarding rules do to an event, by the same
code that runs at the edge."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import orjson

from gateway.cli.loading import config_arg, load_or_exit, started
from gateway.config.loader import Config
from gateway.errors import Refused
from gateway.intake.explain import Question, explain_event, render_refusal, render_text
from gateway.web.responses import status_of


def add(commands: Any) -> None:
    explain = commands.add_parser("explain", help="show what the policy does to an event")
    config_arg(explain)
    explain.add_argument("event", help="event JSON file (Segment Spec), or - for stdin")
    explain.add_argument("--header", action="append", default=[], help="e.g. 'Sec-GPC: 1'")
    explain.add_argument("--write-key", help="source write key (default: the first source)")
    explain.add_argument("--ip", help="the visitor's address, as the edge would stamp it")
    explain.add_argument("--user-agent", help="the browser's User-Agent (web sources)")
    explain.add_argument("--json", action="store_true", help="print the trace as JSON")


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    raw = sys.stdin.buffer.read() if args.event == "-" else Path(args.event).read_bytes()
    headers = dict(_header(h) for h in args.header)
    question = Question(raw, headers, args.write_key, args.ip, args.user_agent)
    return asyncio.run(_explain(config, question, args.json))


async def _explain(config: Config, question: Question, as_json: bool) -> int:
    async with started(config) as runtime:
        try:
            result = await explain_event(runtime.intake, runtime.sources, question)
        except Refused as exc:
            if as_json:
                error = {"error": exc.message, "status": status_of(exc)}
                sys.stdout.write(orjson.dumps(error, option=orjson.OPT_INDENT_2).decode() + "\n")
            else:
                sys.stdout.write(render_refusal(status_of(exc), exc.message))
            return 1
    if as_json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(render_text(result))
    return 0


def _header(text: str) -> tuple[str, str]:
    name, _, value = text.partition(":")
    return name.strip().lower(), value.strip()
