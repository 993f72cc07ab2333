"""`gateway schema [gateway|sources|destinations|policy]`: the JSON Schema (draft 2020-12)
of a config file, from the models; `--write DIR` writes all four (what `schemas/` holds)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gateway.schemas.jsonschema import FILES, file_schema, write_schemas


def add(commands: Any) -> None:
    schema = commands.add_parser("schema", help="print the JSON Schema of a config file")
    schema.add_argument(
        "file",
        nargs="?",
        choices=FILES,
        help="which file's schema (default: all four, as one JSON object keyed by file)",
    )
    schema.add_argument("--write", metavar="DIR", help="write DIR/NAME.json for each file")


def run(args: argparse.Namespace) -> int:
    if args.write:
        for path in write_schemas(Path(args.write)):
            print(path)
        return 0
    document = file_schema(args.file) if args.file else {n: file_schema(n) for n in FILES}
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return 0
