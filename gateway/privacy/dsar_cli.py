"""`gateway dsar ACTION --subject ID`: the privacy office's data-subject requests from the
command line, the twins of POST /admin/dsar/ACTION. Each request is logged."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from typing import Any

import orjson

from gateway.errors import IngestError

ACTIONS = (
    "disclosure", "correction", "deletion",
    "suspend-use", "resume-use", "suspend-provision", "resume-provision",
)  # fmt: skip


def add_dsar(commands: Any, config_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    dsar = commands.add_parser("dsar", help="data-subject requests (APPI arts. 33-35)")
    dsar.add_argument("action", choices=ACTIONS)
    config_arg(dsar)
    dsar.add_argument("--subject", required=True, help="a userId, anonymousId or advertising ID")
    dsar.add_argument(
        "--preferences",
        help='for correction: JSON like {"purposes": {"advertising": false}}',
    )
    dsar.add_argument("--operator", default=getpass.getuser(), help="who runs the request (logged)")


def run_dsar(args: argparse.Namespace) -> int:
    from gateway.cli import load_or_exit

    return asyncio.run(_run(load_or_exit(args.config), args))


async def _run(config: Any, args: argparse.Namespace) -> int:
    from gateway.app import Gateway
    from gateway.privacy.routes import run_dsar as dispatch
    from gateway.privacy.service import PrivacyService

    body: dict[str, Any] = {}
    if args.preferences:
        try:
            body["preferences"] = orjson.loads(args.preferences)
        except orjson.JSONDecodeError:
            print("--preferences: not valid JSON", file=sys.stderr)
            return 2
    gateway = Gateway(config, run_worker=False)
    runtime = await gateway.start()
    try:
        service = PrivacyService(runtime)
        try:
            result = await dispatch(service, args.action, args.subject, body)
        except IngestError as exc:
            print(f"{args.action}: {exc.message}", file=sys.stderr)
            return 1
        await runtime.store.log_admin_action(
            {
                "action": args.action,
                "token": f"cli:{args.operator}",
                "subject_key": service.identifier_keys(args.subject)[0],
            }
        )
    finally:
        await gateway.stop()
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0
