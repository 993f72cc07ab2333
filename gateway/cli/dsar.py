"""`gateway dsar ACTION --subject ID`: the privacy office's data-subject requests from the
command line, the twins of POST /admin/dsar/ACTION. Each request is logged."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

import orjson

from gateway.cli.loading import config_arg, load_or_exit, started
from gateway.errors import Refused
from gateway.privacy.requests import ACTIONS, run_request


def add(commands: Any) -> None:
    dsar = commands.add_parser("dsar", help="data-subject requests (APPI arts. 33-35)")
    dsar.add_argument("action", choices=ACTIONS)
    config_arg(dsar)
    dsar.add_argument("--subject", required=True, help="a userId, anonymousId or advertising ID")
    dsar.add_argument(
        "--preferences",
        help='for correction: JSON like {"purposes": {"advertising": false}}',
    )
    dsar.add_argument("--operator", default=getpass.getuser(), help="who runs the request (logged)")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    body: dict[str, Any] = {}
    if args.preferences:
        try:
            body["preferences"] = orjson.loads(args.preferences)
        except orjson.JSONDecodeError:
            print("--preferences: not valid JSON", file=sys.stderr)
            return 2
    async with started(config) as runtime:
        service = runtime.privacy
        try:
            result = await run_request(service, args.action, args.subject, body)
        except Refused as exc:
            print(f"{args.action}: {exc.message}", file=sys.stderr)
            return 1
        await runtime.store.log_admin_action(
            {
                "action": args.action,
                "token": f"cli:{args.operator}",
                "subject_key": service.identifier_keys(args.subject)[0],
            }
        )
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0
