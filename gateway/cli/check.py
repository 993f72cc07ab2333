"""`gateway check`: validate the config directory in one pass, then warn about a config
that loads but cannot do its job, and about departures from the company policy (with
--strict, warnings fail the check)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gateway.cli.loading import config_arg, load_or_exit
from gateway.cli.usage import fail
from gateway.config.loader import Config
from gateway.config.safeguards import departures


def add(commands: Any) -> None:
    check = commands.add_parser("check", help="validate the config directory")
    config_arg(check)
    check.add_argument(
        "--strict",
        action="store_true",
        help="warnings (departures from the company policy among them) fail the check",
    )


def run(args: argparse.Namespace) -> int:
    directory = Path(args.config)
    if directory.is_dir() and not [*directory.glob("*.yaml"), *directory.glob("*.yml")]:
        return fail("check", f"{directory}: no *.yaml files: nothing is configured", 1)
    config = load_or_exit(args.config)
    print(config.summary())
    found = warnings(config) + departures(config)
    label = "error" if args.strict else "warning"
    for warning in found:
        print(f"{label}: {warning}", file=sys.stderr)
    if found and args.strict:
        print(f"{len(found)} warning(s) fail the check (--strict)", file=sys.stderr)
        return 1
    return 0


def warnings(config: Config) -> list[str]:
    """What loads without error but will not work as someone probably meant."""
    out: list[str] = []
    if not config.sources:
        out.append("sources.yaml: no sources: every event will be refused (401)")
    enabled = [d for d in config.destinations if d.enabled]
    if not enabled:
        out.append(
            "destinations.yaml: no enabled destination: events are accepted and sent nowhere"
        )
    for source in config.sources:
        if source.kind == "web" and not source.allowed_origins:
            out.append(
                f'sources.yaml: source "{source.id}": a web source without allowed_origins: '
                "browsers on other origins cannot send to it (no CORS grant)"
            )
    return out
