"""`gateway plan infer | check | export | import`: tracking plans drafted from sample events,
checked as `gateway check` does, and carried to and from JSON Schema."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import yaml

from gateway.cli.loading import config_arg, load_or_exit
from gateway.plans.infer import infer_plan
from gateway.plans.interchange import NotAPlanExport, export_plan, import_plan
from gateway.plans.model import TrackingPlan


def add(commands: Any) -> None:
    plan = commands.add_parser("plan", help="tracking plans: infer, check, export, import")
    actions = plan.add_subparsers(dest="plan_command", required=True)
    infer = actions.add_parser("infer", help="draft a plan from sample events (JSON lines)")
    infer.add_argument(
        "--from",
        dest="source",
        required=True,
        help="events.jsonl: one event or {batch: [...]} per line, - for stdin",
    )
    infer.add_argument("--name", default="draft", help="the plan's name (default: draft)")
    check = actions.add_parser("check", help="validate the plans (and the whole config)")
    config_arg(check)
    export = actions.add_parser("export", help="print a plan as one JSON Schema document")
    config_arg(export)
    export.add_argument("name", help="the plan's name")
    imported = actions.add_parser("import", help="print a JSON Schema export as a plan (YAML)")
    imported.add_argument("file", help="the JSON Schema document, - for stdin")
    imported.add_argument("--name", help="the plan's name (default: the document's title)")


def run(args: argparse.Namespace) -> int:
    command: int = ACTIONS[args.plan_command](args)
    return command


def _infer(args: argparse.Namespace) -> int:
    problems: list[str] = []
    events = list(_events(_read(args.source), problems))
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    sys.stdout.write(_yaml({"plans": [infer_plan(events, args.name)]}))
    sys.stdout.flush()
    print(f"{len(events)} event(s) read", file=sys.stderr)
    return 0


def _events(raw: bytes, problems: list[str]) -> Iterator[dict[str, Any]]:
    """Each line's events; a line that is not an event says so by number, never by content."""
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError:
            problems.append(f"line {number}: not JSON")
            continue
        batch = document.get("batch") if isinstance(document, dict) else None
        for event in batch if isinstance(batch, list) else [document]:
            if isinstance(event, dict):
                yield event
            else:
                problems.append(f"line {number}: an event must be a JSON object")


def _check(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    users: dict[str | None, list[str]] = {}
    for source in config.sources:
        users.setdefault(source.tracking_plan, []).append(source.id)
    for plan in config.plans:
        used = ", ".join(users.get(plan.name, [])) or "no source"
        print(f'plan "{plan.name}": {plan.event_count()} event(s), used by {used}')
    print(f"plans OK: {len(config.plans)} plan(s) in {args.config}")
    return 0


def _export(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    plans = {p.name: p for p in config.plans if isinstance(p, TrackingPlan)}
    plan = plans.get(args.name)
    if plan is None:
        known = ", ".join(sorted(plans)) or "none"
        print(f'no plan "{args.name}" in {args.config} (plans: {known})', file=sys.stderr)
        return 1
    sys.stdout.write(orjson.dumps(export_plan(plan), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _import(args: argparse.Namespace) -> int:
    label = "stdin" if args.file == "-" else Path(args.file).name
    try:
        plan = import_plan(orjson.loads(_read(args.file)), args.name)
    except orjson.JSONDecodeError:
        print(f"{label}: not JSON", file=sys.stderr)
        return 1
    except NotAPlanExport as exc:
        for problem in exc.problems:
            print(f"{label}: {problem}", file=sys.stderr)
        return 1
    sys.stdout.write(_yaml({"plans": [plan]}))
    return 0


def _read(path: str) -> bytes:
    return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


ACTIONS = {"infer": _infer, "check": _check, "export": _export, "import": _import}
