"""The verdict on one string value: a shape to remove it for, a rewrite of its URL without the
forbidden parameters, or clean; and the cache of strings found clean.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: "URLs viewed" are collected, GPS location, address-book entries, message content and
device photos are not, so a URL keeps everything but the forbidden parameters. A string can
hold a URL, whose parameters can hold URLs or JSON, which can hold strings again: each level is
scanned up to MAX_NESTING, and what nests deeper is removed (fail closed), never guessed clean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.policy.forbidden.embedded import decode_again, decode_text, parse, starts_structure
from gateway.policy.forbidden.keys import BESIDE_LAT, KEY_NAME, TEXT, KeyClassifier
from gateway.policy.forbidden.shapes.coordinates import COORDINATES, Shape, location_in_url
from gateway.policy.forbidden.shapes.messages import IN_THREAD, bare_text, message_route
from gateway.policy.forbidden.shapes.values import MIN_LENGTH, string_shape
from gateway.policy.forbidden.urls import (
    SENSITIVE,
    SENSITIVE_NAME,
    ParamNames,
    Removed,
    names,
    scrub_url,
    split_param,
)
from gateway.policy.forbidden.vocabulary import CATEGORIES, LOCATION, MESSAGE_CONTENT

URL_PARAM, EMBEDDED_JSON, ENCODED = "url_param", "value:embedded_json", "value:encoded_text"
UNSCANNED = "unscanned"  # the category of what nests too deep to scan, removed to fail closed
TOO_DEEP: Shape = (UNSCANNED, "value:too_deep")
MAX_NESTING = 3  # a URL or JSON text inside a parameter of a URL inside ...
CLEAN_CACHE_SIZE = 16_384
MAX_ALLOWED_SETS = 16
_ROUTE = 0x5EED  # salts the clean-cache fingerprint of a query read as a messaging link's
_HTTP = ("https://", "http://")
_NONE: frozenset[int] = frozenset()

# Scans a structure found in a string (JSON, a Python repr) like an event: the first
# removal's shape, or None.
Walk = Callable[[Any, frozenset[str], int], Shape | None]


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A URL without its forbidden parameters, and what was removed."""

    text: str
    removed: Removed


class TextScanner:
    """Judges strings; remembers the ones found clean, per `allowed` set."""

    def __init__(self, keys: KeyClassifier, params: ParamNames, walk: Walk) -> None:
        self._keys = keys
        self._params = params
        self._walk = walk
        # Per `allowed` set: hashes of strings and URL parameters found clean under it.
        self.clean: dict[frozenset[str], set[int]] = {}

    def text(self, text: str, allowed: frozenset[str], nesting: int) -> Shape | Rewrite | None:
        """A string's verdict: a shape to drop it for, a rewrite of its URL, or None. It
        depends on the string alone (and `allowed`), so callers look it up in `clean`
        first; a verdict reached at a limit is never None, so never remembered as clean."""
        first = text[0]
        if first in "hH" and (text.startswith(_HTTP) or text[:8].lower().startswith(_HTTP)):
            found = self.url(text, allowed, nesting)
        else:
            relative = (first == "?" and "=" in text) or first == "/"
            shape = string_shape(text, free_text=not relative)
            if shape is not None:
                return None if shape[0] in allowed else shape
            if relative:
                found = self.url(text, allowed, nesting)
            else:
                inner = parse(text) if first in "{[eW" and starts_structure(text) else None
                if inner is not None:
                    found = self._embedded(inner, allowed, nesting)
                else:  # also what only looks like a structure (`eyJ…%3D`: encoded again)
                    found = self._encoded(text, allowed, nesting)
        if found is None:
            self._remember_clean(allowed, hash(text))
        return found

    def url(
        self, url: str, allowed: frozenset[str], nesting: int, route: bool | None = None
    ) -> Shape | Rewrite | None:
        """Remove forbidden query parameters. Coordinates in the path (a map link such as
        `/maps/@35.68,139.76,15z`) cannot be cut out, so the whole URL goes. `route`: the
        query belongs to a messaging link (for a page's `search`, told by its `url`)."""
        if nesting > MAX_NESTING:
            return _too_deep(allowed)
        query_at, hash_at = url.find("?"), url.find("#")
        if query_at < 0 and hash_at < 0:
            path_end = len(url)
        elif query_at < 0 or 0 <= hash_at < query_at:
            path_end = hash_at
        else:
            path_end = query_at
        if LOCATION not in allowed and location_in_url(url, path_end, hash_at):
            return COORDINATES
        if path_end == len(url):
            return None
        if route is None:
            route = message_route(url, path_end)
        fingerprint = hash((url[path_end:], _ROUTE)) if route else hash(url[path_end:])
        if fingerprint in self.clean.get(allowed, _NONE):
            return None

        def judge(part: str, query: str) -> tuple[str, str, str] | None:
            return self._param(part, query, allowed, nesting, route)

        cleaned, removed = scrub_url(url, judge)
        if removed:
            return Rewrite(cleaned, removed)
        self._remember_clean(allowed, fingerprint)
        return None

    def _remember_clean(self, allowed: frozenset[str], fingerprint: int) -> None:
        """Real events repeat most strings (user agent, page URLs, product names), so a string
        found clean is remembered, per `allowed` set (a handful exist: one per source and
        consent state). Only hashes are kept, so the cache holds no personal data; a 64-bit
        SipHash collision is negligible."""
        clean = self.clean.get(allowed)
        if clean is None:
            if len(self.clean) >= MAX_ALLOWED_SETS:
                return
            clean = self.clean[allowed] = set()
        elif len(clean) >= CLEAN_CACHE_SIZE:
            clean.clear()
        clean.add(fingerprint)

    def _embedded(self, inner: Any, allowed: frozenset[str], nesting: int) -> Shape | None:
        """A structure written into a string (JSON, a Python repr, base64url JSON; parsed by
        `embedded.parse`) is scanned like the event, with a fresh context. If anything in it
        is forbidden the whole string goes: re-serialising it would alter the unrelated rest."""
        if nesting > MAX_NESTING:
            return _too_deep(allowed)
        found = self._walk(inner, allowed, nesting + 1)
        return (found[0], EMBEDDED_JSON) if found is not None else None

    def _encoded(self, text: str, allowed: frozenset[str], nesting: int) -> Shape | None:
        """Text encoded once more (`embedded.decode_text`: percent-encoding, base64, gzip, a
        JSON string literal) is judged decoded; if anything in it is forbidden the whole
        string goes, as for a structure in a string. Past the nesting limit decoded text is
        still judged by its shape, but what would need another level (a URL, a structure,
        a further encoding) is removed unscanned."""
        decoded = decode_text(text)
        if decoded is None or len(decoded) < MIN_LENGTH or decoded == text:
            return None
        if nesting > MAX_NESTING:
            shape = string_shape(decoded)
            if shape is not None:
                return None if shape[0] in allowed else (shape[0], ENCODED)
            return _too_deep(allowed) if opens_a_level(decoded) else None
        found = self.text(decoded, allowed, nesting + 1)
        if found is None:
            return None
        return (found.removed[0][1] if isinstance(found, Rewrite) else found[0], ENCODED)

    def _param(
        self, part: str, query: str, allowed: frozenset[str], nesting: int, route: bool
    ) -> tuple[str, str, str] | None:
        fingerprint = hash((part, _ROUTE)) if route else hash(part)
        if fingerprint in self.clean.get(allowed, _NONE):
            return None
        if route and MESSAGE_CONTENT not in allowed and bare_text(part):
            return ("*", MESSAGE_CONTENT, URL_PARAM)
        name, value = split_param(part)
        found = self._judge_param(name, value, query, allowed, (nesting, route))
        if found is not None:
            return (name, found[0], found[1])
        verdict = self._params.verdict(name)
        if verdict is None or verdict.action != BESIDE_LAT:  # its verdict depends on siblings
            self._remember_clean(allowed, fingerprint)
        return None

    def _judge_param(
        self, name: str, value: str, query: str, allowed: frozenset[str], at: tuple[int, bool]
    ) -> Shape | None:
        """`at`: how deep the URL nests, and whether it is a messaging link."""
        nesting, route = at
        verdict = self._params.verdict(name)
        if verdict is SENSITIVE_NAME:
            return (SENSITIVE, URL_PARAM)
        keys = self._keys
        if verdict is not None and verdict.category not in allowed:
            siblings = names(query) if verdict.action == BESIDE_LAT else ()
            rule = keys.condemns(verdict, value, siblings)
            if rule is not None:
                return (verdict.category, URL_PARAM if rule == KEY_NAME else rule)
        if (
            route
            and MESSAGE_CONTENT not in allowed
            and keys.roles(name) & TEXT
            and keys.condemns(IN_THREAD, value, ()) is not None
        ):
            return (MESSAGE_CONTENT, URL_PARAM)
        if len(value) < MIN_LENGTH:
            return None
        found = self.text(decode_again(value), allowed, nesting + 1)
        if isinstance(found, Rewrite):
            return (found.removed[0][1], URL_PARAM)
        return found


def opens_a_level(text: str) -> bool:
    """Whether judging `text` fully would go one level deeper: a URL, a query, a structure,
    or text encoded once more."""
    first = text[0]
    if first == "/" or (first == "?" and "=" in text) or text[:8].lower().startswith(_HTTP):
        return True
    if first in "{[eW" and starts_structure(text):
        return True
    return decode_text(text) is not None


def _too_deep(allowed: frozenset[str]) -> Shape | None:
    """Fail closed at the nesting limit: what cannot be scanned is removed, unless every
    category may pass anyway."""
    return None if allowed.issuperset(CATEGORIES) else TOO_DEEP
