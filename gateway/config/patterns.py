"""The `fields` pattern language: dotted keys, `*` exactly one key, `**` any number of keys
(zero or more); a pattern that names an object covers everything under it. The router
compiles patterns into an automaton (`route/projection.py`); config checks use these."""

from __future__ import annotations

import re
from collections.abc import Sequence

SEGMENT = re.compile(r"^(\*\*?|[^*.]+)$")


def pattern_problem(pattern: str) -> str | None:
    """Why a pattern is malformed, or None."""
    if not pattern or pattern.strip() != pattern:
        return "is empty or has surrounding spaces"
    for segment in pattern.split("."):
        if not segment:
            return "has an empty segment (two dots, or a leading/trailing dot)"
        if not SEGMENT.match(segment):
            return f'has segment "{segment}": a wildcard must be a whole segment (* or **)'
    return None


def covers(pattern: Sequence[str], path: Sequence[str]) -> bool:
    """True when the key path is at or under what the pattern names."""
    if not pattern:
        return True
    if not path:
        return all(segment == "**" for segment in pattern)
    head = pattern[0]
    if head == "**":
        return covers(pattern[1:], path) or covers(pattern, path[1:])
    return head in ("*", path[0]) and covers(pattern[1:], path[1:])
