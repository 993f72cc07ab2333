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
from gateway.cli.times import iso_times
from gateway.cli.usage import UsageError
from gateway.errors import Refused
from gateway.privacy.disclosure import disclosure_page
from gateway.privacy.page import new_nonce
from gateway.privacy.requests import ACTIONS, run_request


def add(commands: Any) -> None:
    dsar = commands.add_parser("dsar", help="data-subject requests (APPI arts. 33-35)")
    dsar.add_argument("action", choices=ACTIONS, help="the request (disclosure reads only)")
    config_arg(dsar)
    dsar.add_argument("--subject", required=True, help="a userId, anonymousId or advertising ID")
    dsar.add_argument(
        "--preferences",
        help='for correction: JSON like {"purposes": {"advertising": false}}',
    )
    dsar.add_argument("--operator", default=getpass.getuser(), help="who runs the request (logged)")
    dsar.add_argument(
        "--json", action="store_true", help="compact JSON on one line (default: indented)"
    )
    dsar.add_argument(
        "--html",
        choices=("ja", "en"),
        help="disclosure: the customer's copy as an HTML page in this language",
    )


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    body: dict[str, Any] = {}
    if args.preferences:
        try:
            body["preferences"] = orjson.loads(args.preferences)
        except orjson.JSONDecodeError:
            raise UsageError("--preferences: not valid JSON") from None
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
    if args.html and args.action == "disclosure":
        sys.stdout.write(disclosure_page(args.html, result, new_nonce()) + "\n")
        return 0
    # Times as ISO-8601 UTC, like every other command (the HTTP twin keeps epoch seconds).
    option = 0 if args.json else orjson.OPT_INDENT_2
    sys.stdout.write(orjson.dumps(iso_times(result), option=option).decode() + "\n")
    return 0
