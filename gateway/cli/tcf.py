"""`gateway tcf decode`: IAB TCF v2.2 strings as JSON, one line each."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from gateway.errors import TCFError
from gateway.policy.consent.tcf import decode


def add(commands: Any) -> None:
    tcf = commands.add_parser("tcf", help="IAB TCF tools")
    tcf_commands = tcf.add_subparsers(dest="tcf_command", required=True, help="decode")
    decode_parser = tcf_commands.add_parser("decode", help="decode TC strings (- reads stdin)")
    decode_parser.add_argument(
        "strings", nargs="+", metavar="STRING", help="TC strings; - reads one a line from stdin"
    )


def run(args: argparse.Namespace) -> int:
    """One JSON line per TC string (`-` stands for stdin, one string a line); a string that
    does not decode prints {"error": ...} on its line and makes the exit status 1."""
    status = 0
    for value in _tc_strings(args.strings):
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
