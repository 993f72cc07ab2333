"""Printing data: a plain table for people, JSON lines (`--json`) for programs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import orjson


def json_option(parser: Any) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON (one object per line) instead of a table"
    )


def json_lines(rows: Sequence[dict[str, Any]]) -> None:
    for row in rows:
        sys.stdout.write(orjson.dumps(row).decode() + "\n")


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Left-aligned columns under upper-case headings; nothing at all when there are no rows
    (the count goes to stderr, so a pipe sees only data)."""
    if not rows:
        return
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(columns)]
    for line in [[h.upper() for h in columns], *cells]:
        text = "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True))
        sys.stdout.write(text.rstrip() + "\n")
