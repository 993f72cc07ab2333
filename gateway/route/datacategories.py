"""Categories of personal data, named after the policy's list of information obtained
("Handling of customer information on the website and app", section 1), derived from
field paths. Used for provision records (APPI art. 29), the external-transmission notice
and `gateway explain`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from gateway.config.categories import CATEGORIES

# Longest matching prefix wins. Paths are event keys (array indices left out); the table of
# categories (config/categories.py) lists each category's paths.
CATEGORY_PREFIXES: dict[tuple[str, ...], str] = {
    tuple(path.split(".")): category.name for category in CATEGORIES for path in category.paths
}
NOT_PERSONAL = frozenset({("type",), ("messageId",), ("context",), ("integrations",)})


def category_of(path: tuple[str, ...]) -> str | None:
    for length in range(len(path), 0, -1):
        found = CATEGORY_PREFIXES.get(path[:length])
        if found:
            return found
    return _unlisted(path)


# Entries with a longer entry under them (`context.device` holds `context.device.id`): a walk
# must look inside them; below any other entry every leaf has that entry's category.
_INNER = frozenset(p[:n] for p in CATEGORY_PREFIXES for n in range(1, len(p)))
_FRESH = "\x00"  # a key no entry names: "any other key" when expanding wildcards
_MAX_EXPANSION_DEPTH = 1 + max(len(p) for p in CATEGORY_PREFIXES)
# Listed fields that hold a single value (Segment Spec): no path continues under them.
_SCALARS = frozenset(
    {("userId",), ("anonymousId",), ("groupId",), ("previousId",), ("event",), ("name",),
     ("category",), ("timestamp",), ("originalTimestamp",), ("sentAt",), ("receivedAt",),
     ("type",), ("messageId",), ("context", "ip"), ("context", "userAgent"),
     ("context", "locale"), ("context", "timezone"), ("context", "device", "id"),
     ("context", "device", "advertisingId")}
)  # fmt: skip


class _Entry:
    """A key path of the table as a trie node: its category (None when not listed itself) and
    the entries one key further down."""

    def __init__(self, category: str | None) -> None:
        self.category = category
        self.children: dict[str, _Entry] = {}


def _trie() -> dict[str, _Entry]:
    root: dict[str, _Entry] = {}
    for path in sorted(CATEGORY_PREFIXES, key=len):
        level = root
        for length in range(1, len(path) + 1):
            key = path[length - 1]
            if key not in level:
                level[key] = _Entry(CATEGORY_PREFIXES.get(path[:length]))
            level = level[key].children
    return root


_TRIE = _trie()


def categories_of_payload(payload: dict[str, Any]) -> tuple[str, ...]:
    """The categories of the data a payload provides: each leaf value by its path's longest
    listed prefix (an advertising ID in `context.device` is `advertising_id`, the rest of the
    device object `device`). Empty objects and arrays provide nothing."""
    found: set[str] = set()
    for key, item in payload.items():
        name = key if type(key) is str else str(key)
        _collect(name, item, _TRIE, None, _unlisted((name,)), found)
    return tuple(sorted(found))


def _collect(
    key: str,
    value: Any,
    level: dict[str, _Entry] | None,
    category: str | None,
    unlisted: str | None,
    found: set[str],
) -> None:
    """One walk down the payload and the table's trie together, carrying the category of the
    longest listed prefix seen so far; `unlisted` is what a leaf under no listed prefix is
    (decided by the path's first key)."""
    entry = level.get(key) if level is not None else None
    if entry is not None:
        if entry.category is not None and not entry.children:
            if value != {} and value != []:
                found.add(entry.category)
            return
        category = entry.category or category
    below = entry.children if entry is not None else None
    _below(value, below, category, unlisted, found)


def _below(
    value: Any,
    level: dict[str, _Entry] | None,
    category: str | None,
    unlisted: str | None,
    found: set[str],
) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _collect(key if type(key) is str else str(key), item, level, category, unlisted,
                     found)  # fmt: skip
    elif isinstance(value, list):
        for item in value:
            _below(item, level, category, unlisted, found)
    else:
        leaf = category or unlisted
        if leaf:
            found.add(leaf)


def _unlisted(path: tuple[str, ...]) -> str | None:
    return None if path[:1] in NOT_PERSONAL or path[:1] == ("context",) else "other"


def categories_of_patterns(patterns: Iterable[str]) -> tuple[str, ...]:
    """Every category a destination can receive given its `fields` patterns: the categories
    of every path a pattern can reach, and of everything under it (a pattern that names an
    object includes its subtree). Wildcards range over the listed keys and any other key."""
    found: set[str | None] = set()
    for pattern in patterns:
        for path in set(_expansions(tuple(pattern.split(".")), ())):
            found.add(category_of(path))
            found.update(c for p, c in CATEGORY_PREFIXES.items() if p[: len(path)] == path)
    return tuple(sorted(c for c in found if c))


def _expansions(segments: tuple[str, ...], prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if not segments:
        yield prefix
        return
    if prefix in _SCALARS:
        # Nothing should be under a single value; if an event puts something there anyway,
        # it has the value's category.
        yield prefix
        return
    head, rest = segments[0], segments[1:]
    if head == "**":
        yield from _expansions(rest, prefix)
        if len(prefix) < _MAX_EXPANSION_DEPTH:
            for key in _children(prefix):
                yield from _expansions(segments, (*prefix, key))
    elif head == "*":
        for key in _children(prefix):
            yield from _expansions(rest, (*prefix, key))
    else:
        yield from _expansions(rest, (*prefix, head))


def _children(prefix: tuple[str, ...]) -> set[str]:
    """The keys listed right under `prefix`, and one stand-in for every other key."""
    size = len(prefix)
    entries = (*CATEGORY_PREFIXES, *NOT_PERSONAL)
    return {p[size] for p in entries if len(p) > size and p[:size] == prefix} | {_FRESH}
