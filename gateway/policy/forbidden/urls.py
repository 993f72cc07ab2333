"""Forbidden data in URLs: a query parameter is removed on its own, the rest of the URL (other
parameters, their order and encoding, the fragment) is kept byte for byte.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: "URLs viewed" are collected, GPS location information is not. A store-finder page URL
`/shops?lat=35.68&lng=139.76&sort=near` is therefore sent as `/shops?sort=near`.

Parameters in a hash route (`#/map?lat=..`, `#lat=..`) are judged the same way; their removal
paths use `#` instead of `?`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import unquote_plus

from gateway.policy.forbidden.keys import CACHE_SIZE, CONTENT, MISSING, KeyClassifier, KeyVerdict
from gateway.policy.forbidden.shapes.values import key_data
from gateway.policy.forbidden.vocabulary import LOCATION

SENSITIVE = "sensitive"  # the category of configured `sensitive_query_params`
SENSITIVE_NAME = KeyVerdict(SENSITIVE, CONTENT, numeric=True, hosted_ok=False)
# Names that mean a position in map URLs only (Google Maps `ll`, `sll`; OpenStreetMap's marker).
URL_ONLY_NAMES = dict.fromkeys(
    ("ll", "sll", "mlat", "mlon"), KeyVerdict(LOCATION, CONTENT, True, False)
)

# judge("name=value", the whole query it is in) -> (decoded name, category, rule) to remove
# the parameter, or None to keep it.
Judge = Callable[[str, str], tuple[str, str, str] | None]
# (suffix naming the parameter, e.g. "?lat", category, rule)
Removed = list[tuple[str, str, str]]


def scrub_url(url: str, judge: Judge) -> tuple[str, Removed]:
    """`url` without the parameters `judge` rejects, and what was removed. Works on full
    URLs, relative ones and bare query strings (`?q=shoes`, as in `context.page.search`)."""
    removed: Removed = []
    hash_at = url.find("#")
    head, fragment = (url, "") if hash_at < 0 else (url[:hash_at], url[hash_at:])
    query_at = head.find("?")
    if query_at >= 0:
        kept = _filter(head[query_at + 1 :], "?", judge, removed)
        if kept is not None:
            head = head[:query_at] + ("?" + kept if kept else "")
    if "=" in fragment:
        fragment = _scrub_fragment(fragment, judge, removed)
    return (head + fragment if removed else url), removed


def _scrub_fragment(fragment: str, judge: Judge, removed: Removed) -> str:
    query_at = fragment.find("?")
    start = query_at + 1 if query_at >= 0 else 1
    kept = _filter(fragment[start:], "#", judge, removed)
    if kept is None:
        return fragment
    return fragment[:start] + kept if kept else fragment[: start - 1]


def _filter(query: str, marker: str, judge: Judge, removed: Removed) -> str | None:
    """The query without rejected parameters, or None when nothing was rejected."""
    parts = query.split("&")
    kept: list[str] = []
    for part in parts:
        if part and (verdict := judge(part, query)) is not None:
            removed.append((marker + verdict[0], verdict[1], verdict[2]))
        else:
            kept.append(part)
    return "&".join(kept) if len(kept) != len(parts) else None


def split_param(part: str) -> tuple[str, str]:
    """The decoded name and value of a `name=value` query part."""
    name, _, value = part.partition("=")
    return _decode(name), _decode(value)


def names(query: str) -> list[str]:
    """The decoded parameter names of a query string."""
    return [_decode(part.partition("=")[0]) for part in query.split("&")]


def _decode(text: str) -> str:
    return unquote_plus(text) if "%" in text or "+" in text else text


class ParamNames:
    """Verdicts for query parameter names: configured sensitive names (any case), forbidden
    key names, URL-only names, names that are data. Cached per raw name, bounded."""

    def __init__(self, keys: KeyClassifier, sensitive: Iterable[str]) -> None:
        self._keys = keys
        self._sensitive = frozenset(name.lower() for name in sensitive)
        self._cache: dict[str, KeyVerdict | None] = {}

    def verdict(self, name: str) -> KeyVerdict | None:
        verdict = self._cache.get(name, MISSING)
        if verdict is MISSING:
            verdict = self._judge(name)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[name] = verdict
        return verdict

    def _judge(self, name: str) -> KeyVerdict | None:
        lowered = name.lower()
        if lowered in self._sensitive:
            return SENSITIVE_NAME
        return key_data(name) or self._keys.classify(name) or URL_ONLY_NAMES.get(lowered)
