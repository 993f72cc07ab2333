"""Categories of personal data, named after the policy's list of information obtained
("Handling of customer information on the website and app", section 1), derived from
field paths. Used for provision records (APPI art. 29), the external-transmission notice
and `gateway explain`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

# Longest matching prefix wins. Paths are event keys (array indices left out).
CATEGORY_PREFIXES: dict[tuple[str, ...], str] = {
    ("userId",): "identifiers",
    ("anonymousId",): "identifiers",
    ("groupId",): "identifiers",
    ("previousId",): "identifiers",
    ("context", "device", "id"): "identifiers",
    ("context", "device", "advertisingId"): "advertising_id",
    ("context", "device"): "device",
    ("context", "os"): "device",
    ("context", "screen"): "device",
    ("context", "app"): "device",
    ("context", "network"): "device",
    ("context", "userAgent"): "environment",
    ("context", "userAgentData"): "environment",
    ("context", "browser"): "environment",
    ("context", "agent"): "environment",
    ("context", "locale"): "environment",
    ("context", "timezone"): "environment",
    ("context", "library"): "environment",
    ("context", "ip"): "ip_address",
    ("context", "geo"): "coarse_location",
    ("context", "location"): "location",
    ("context", "page"): "browsing_history",
    ("context", "campaign"): "browsing_history",
    ("context", "referrer"): "browsing_history",
    ("context", "traits"): "profile",
    ("context", "consent"): "consent_choices",
    ("traits",): "profile",
    ("event",): "browsing_history",
    ("name",): "browsing_history",
    ("category",): "browsing_history",
    ("properties",): "browsing_history",
    ("timestamp",): "browsing_history",
    ("originalTimestamp",): "browsing_history",
    ("sentAt",): "browsing_history",
    ("receivedAt",): "browsing_history",
}
NOT_PERSONAL = frozenset({("type",), ("messageId",), ("context",), ("integrations",)})


def category_of(path: tuple[str, ...]) -> str | None:
    for length in range(len(path), 0, -1):
        found = CATEGORY_PREFIXES.get(path[:length])
        if found:
            return found
    return None if path[:1] in NOT_PERSONAL or path[:1] == ("context",) else "other"


def categories_of_payload(payload: dict[str, Any]) -> tuple[str, ...]:
    found = {category_of(path) for path in _leaf_paths(payload, ())}
    found.discard(None)
    return tuple(sorted(c for c in found if c))


def _leaf_paths(value: Any, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if isinstance(value, dict):
        if not value:
            yield prefix
        for key, item in value.items():
            path = (*prefix, str(key))
            if path in CATEGORY_PREFIXES:
                yield path
            else:
                yield from _leaf_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            yield from _leaf_paths(item, prefix)
    else:
        yield prefix


def categories_of_patterns(patterns: Iterable[str]) -> tuple[str, ...]:
    """Every category a destination can receive given its `fields` patterns."""
    found: set[str] = set()
    for pattern in patterns:
        segments = pattern.split(".")
        for prefix, category in CATEGORY_PREFIXES.items():
            if _overlaps(segments, prefix):
                found.add(category)
        known_roots = {p[0] for p in CATEGORY_PREFIXES} | {p[0] for p in NOT_PERSONAL}
        if segments[0] not in known_roots | {"*", "**"}:
            found.add("other")
    if found and all(s.split(".")[0] in ("*", "**") for s in patterns):
        found.add("other")
    return tuple(sorted(found))


def _overlaps(segments: list[str], prefix: tuple[str, ...]) -> bool:
    """Could a path matched by the pattern lie at or under `prefix`, or contain it?"""
    for index, key in enumerate(prefix):
        if index >= len(segments):
            return True
        segment = segments[index]
        if segment == "**":
            return True
        if segment not in ("*", key):
            return False
    return True
