"""`gateway migrate [--check]`: `--check` lists the store's pending schema migrations and
changes nothing; without it they run (back the store up first: README, "Upgrading"). The
gateway and the worker also run them on start."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from gateway.cli.loading import config_arg, load_or_exit
from gateway.config.loader import Config
from gateway.errors import GatewayError
from gateway.store import upgrade


def add(commands: Any) -> None:
    migrate = commands.add_parser("migrate", help="run the store's pending migrations")
    config_arg(migrate)
    migrate.add_argument("--check", action="store_true", help="list them; change nothing")


def run(args: argparse.Namespace) -> int:
    """Exit 0: nothing (left) to do; 1: --check found pending migrations; 2: refused."""
    try:
        return asyncio.run(_migrate(load_or_exit(args.config), args.check))
    except GatewayError as exc:
        print(str(exc), file=sys.stderr)
        return 2


async def _migrate(config: Config, check: bool) -> int:
    before = await upgrade.plan(config)
    if check:
        print("\n".join(before))
        return 1 if any(line.startswith("  ") for line in before) else 0
    await upgrade.run(config)
    print("\n".join(await upgrade.plan(config)))
    return 0
