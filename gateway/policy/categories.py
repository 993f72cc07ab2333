"""Forbidden categories: remove what the privacy policy says the company does not collect.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: "as a general rule, we will not collect the following information that can be obtained
via smartphone ... GPS location information; personal information and contact information
listed in phone books and address books; communication content (content of messages exchanged
within the app, etc.); photos and videos saved on your device." An app that needs one of them
explains it and asks for consent; the caller then passes that category in `allowed`.

`Scrubber.scrub` walks a Segment-Spec event once, dicts and arrays at any depth, and removes
data found by four detectors: known paths (`context.location`), key names (`keys.py`), value
shapes (`shapes.py`) and URL parameters (`urls.py`). It returns where and why, never what.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import orjson

from gateway.policy.keys import (
    BESIDE_LAT,
    CATEGORIES,
    KEY_NAME,
    LOCATION,
    MISSING,
    KeyClassifier,
    KeyVerdict,
)
from gateway.policy.shapes import (
    COORDINATES,
    MIN_LENGTH,
    Shape,
    coordinates_in_text,
    key_data,
    list_shape,
    string_shape,
)
from gateway.policy.urls import (
    SENSITIVE,
    SENSITIVE_NAME,
    ParamNames,
    Removed,
    names,
    scrub_url,
    split_param,
)

FORBIDDEN_CATEGORIES: tuple[str, ...] = CATEGORIES
KNOWN_PATHS: Mapping[str, str] = {"context.location": LOCATION}
KNOWN_PATH, URL_PARAM, EMBEDDED_JSON = "known_path", "url_param", "value:embedded_json"
MAX_DEPTH = 200  # deeper events are rejected rather than half-scanned
CLEAN_CACHE_SIZE = 16_384
MAX_ALLOWED_SETS = 16
MAX_NESTING = 3  # a URL or JSON text inside a parameter of a URL inside ...

Chain: TypeAlias = "tuple[Chain, str | int] | None"


class NestingTooDeepError(ValueError):
    """The event nests dicts/arrays deeper than MAX_DEPTH; reject it (fail closed)."""


@dataclass(frozen=True, slots=True)
class Removal:
    """One removed item: where and why, never the value."""

    path: str  # "properties.items[2].photo"; a URL parameter: "context.page.url?lat"
    category: str  # one of FORBIDDEN_CATEGORIES, or "sensitive"
    rule: str  # "known_path" | "key_name" | "value:<shape>" | "url_param"


@dataclass(frozen=True, slots=True)
class _Rewrite:
    text: str
    removed: Removed


@dataclass(slots=True)
class _Node:
    """A step of a configured path: its children, or the verdict at its end."""

    children: dict[str, _Node] = field(default_factory=dict)
    category: str | None = None  # known path: remove the subtree as this category
    trusted: bool = False  # written by the gateway itself: not scanned


class _Changes:
    """Edits to a dict, applied after its scan (a dict cannot change size while iterated)."""

    __slots__ = ("drops", "rewrites")

    def __init__(self) -> None:
        self.drops: list[str] = []
        self.rewrites: list[tuple[str, str]] = []

    def drop(self, key: str) -> None:
        self.drops.append(key)

    def record(self, key: str, result: Any) -> None:
        if result is _DROP:
            self.drops.append(key)
        else:
            self.rewrites.append((key, result))

    def apply(self, obj: dict[str, Any]) -> None:
        for key in self.drops:
            del obj[key]
        for key, value in self.rewrites:
            obj[key] = value


_HTTP = ("https://", "http://")
_NONE: frozenset[int] = frozenset()
_KEEP: Any = object()
_DROP: Any = object()


class Scrubber:
    """Removes forbidden categories from events, in place. Build once, reuse for every event:
    folded key names are cached per instance (bounded)."""

    def __init__(
        self,
        *,
        extra_key_names: Mapping[str, Iterable[str]] = {},
        sensitive_query_params: Iterable[str] = (),
        trusted_paths: Iterable[str] = ("context.geo",),
    ) -> None:
        self._keys = KeyClassifier(extra_key_names)
        self._trie = _build_trie(KNOWN_PATHS, trusted_paths)
        self._params = ParamNames(self._keys, sensitive_query_params)
        # Per `allowed` set: hashes of strings and URL parameters found clean under it.
        self._clean: dict[frozenset[str], set[int]] = {}

    def scrub(self, event: dict[str, Any], allowed: frozenset[str] = frozenset()) -> list[Removal]:
        """Remove forbidden data from `event` (mutated in place) except categories in
        `allowed`; return what was removed, paths as in the input."""
        out: list[Removal] = []
        if type(allowed) is not frozenset:
            allowed = frozenset(allowed)
        if type(event) is dict:
            self._dict(event, None, self._trie, allowed, out, 0)
        return out

    def _dict(
        self,
        obj: dict[str, Any],
        chain: Chain,
        trie: dict[str, _Node] | None,
        allowed: frozenset[str],
        out: list[Removal],
        depth: int,
    ) -> None:
        if depth > MAX_DEPTH:
            raise NestingTooDeepError(f"event nests deeper than {MAX_DEPTH} levels")
        verdicts, clean, changes = self._keys.cache, self._clean.get(allowed, _NONE), None
        for key, value in obj.items():
            node = trie.get(key) if trie is not None else None
            if node is not None and (settled := self._special(node, chain, key, allowed, out)):
                if settled is _DROP:
                    (changes := changes or _Changes()).drop(key)
                continue
            verdict = verdicts.get(key, MISSING)
            if verdict is MISSING:
                verdict = self._classify_new(key)
            if verdict is not None and verdict.category not in allowed:
                rule = self._keys.condemns(verdict, value, obj)
                if rule is not None:
                    out.append(Removal(_render(chain, key), verdict.category, rule))
                    (changes := changes or _Changes()).drop(key)
                    continue
            kind = type(value)
            if kind is str:
                if (
                    len(value) >= MIN_LENGTH
                    and hash(value) not in clean
                    and (found := self._text(value, allowed, 0))
                ):
                    (changes := changes or _Changes()).record(
                        key, self._apply(found, chain, key, out)
                    )
            elif (kind is dict or kind is list) and value:
                children = node.children or None if node is not None else None
                result = self._container(value, chain, key, children, allowed, out, depth)
                if result is _DROP:
                    (changes := changes or _Changes()).drop(key)
        if changes is not None:
            changes.apply(obj)

    def _classify_new(self, key: str) -> KeyVerdict | None:
        """Classify a key not seen before; a key that is itself data (`{"35.68,139.76": 1}`)
        is removed with its value."""
        verdict = key_data(key)
        if verdict is None:
            return self._keys.classify(key)
        self._keys.remember(key, verdict)
        return verdict

    def _special(
        self, node: _Node, chain: Chain, key: str, allowed: frozenset[str], out: list[Removal]
    ) -> Any:
        """A configured path settles the key: _KEEP (trusted), _DROP (known path), else None."""
        if node.trusted:
            return _KEEP
        if node.category is None or node.category in allowed:
            return None
        out.append(Removal(_render(chain, key), node.category, KNOWN_PATH))
        return _DROP

    def _list(
        self,
        items: list[Any],
        chain: Chain,
        allowed: frozenset[str],
        out: list[Removal],
        depth: int,
    ) -> None:
        if depth > MAX_DEPTH:
            raise NestingTooDeepError(f"event nests deeper than {MAX_DEPTH} levels")
        drops: set[int] = set()
        clean = self._clean.get(allowed, _NONE)
        for index, item in enumerate(items):
            kind = type(item)
            if kind is str:
                if (
                    len(item) >= MIN_LENGTH
                    and hash(item) not in clean
                    and (found := self._text(item, allowed, 0))
                ):
                    result = self._apply(found, chain, index, out)
                    if result is _DROP:
                        drops.add(index)
                    else:
                        items[index] = result
            elif (
                (kind is dict or kind is list)
                and item
                and self._container(item, chain, index, None, allowed, out, depth) is _DROP
            ):
                drops.add(index)
        if drops:
            items[:] = [item for index, item in enumerate(items) if index not in drops]

    def _container(
        self,
        value: dict[str, Any] | list[Any],
        parent: Chain,
        key: str | int,
        trie: dict[str, _Node] | None,
        allowed: frozenset[str],
        out: list[Removal],
        depth: int,
    ) -> Any:
        """Scan a non-empty dict or list: _DROP when the list itself is forbidden data."""
        if isinstance(value, dict):
            self._dict(value, (parent, key), trie, allowed, out, depth + 1)
            return _KEEP
        shape = list_shape(value)
        if shape is not None and shape[0] not in allowed:
            out.append(Removal(_render(parent, key), shape[0], shape[1]))
            return _DROP
        self._list(value, (parent, key), allowed, out, depth + 1)
        return _KEEP

    def _apply(
        self, found: Shape | _Rewrite, parent: Chain, key: str | int, out: list[Removal]
    ) -> Any:
        """Record a string's verdict: _DROP, or the rewritten URL."""
        path = _render(parent, key)
        if isinstance(found, _Rewrite):
            for suffix, category, rule in found.removed:
                out.append(Removal(path + suffix[0] + _safe(suffix[1:]), category, rule))
            return found.text
        out.append(Removal(path, found[0], found[1]))
        return _DROP

    def _text(self, text: str, allowed: frozenset[str], nesting: int) -> Shape | _Rewrite | None:
        """A string's verdict: a shape to drop it for, a rewrite of its URL, or None. Callers
        look the string up in the clean cache first."""
        first = text[0]
        if first in "hH" and (text.startswith(_HTTP) or text[:8].lower().startswith(_HTTP)):
            found = self._url(text, allowed, nesting)
        else:
            relative = (first == "?" and "=" in text) or (first == "/" and "?" in text)
            shape = string_shape(text, free_text=not relative)
            if shape is not None:
                return None if shape[0] in allowed else shape
            if relative:
                found = self._url(text, allowed, nesting)
            elif first in "{[" and text[-1] in "}]":
                found = self._embedded_json(text, allowed, nesting)
            else:
                found = None
        if found is None:
            self._remember_clean(allowed, hash(text))
        return found

    def _remember_clean(self, allowed: frozenset[str], fingerprint: int) -> None:
        """Real events repeat most strings (user agent, page URLs, product names), so a string
        found clean is remembered, per `allowed` set (a handful exist: one per source and
        consent state). Only hashes are kept, so the cache holds no personal data; a 64-bit
        SipHash collision is negligible."""
        clean = self._clean.get(allowed)
        if clean is None:
            if len(self._clean) >= MAX_ALLOWED_SETS:
                return
            clean = self._clean[allowed] = set()
        elif len(clean) >= CLEAN_CACHE_SIZE:
            clean.clear()
        clean.add(fingerprint)

    def _embedded_json(self, text: str, allowed: frozenset[str], nesting: int) -> Shape | None:
        """Stringified JSON (`"{\"lat\": 35.68}"`, common where a field must be a string) is
        scanned like the event. If anything in it is forbidden the whole string goes:
        re-serialising it would alter the unrelated rest."""
        if nesting > MAX_NESTING:
            return None
        try:
            inner = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(inner, dict | list) or not inner:
            return None
        found: list[Removal] = []
        self._container(inner, None, "", None, allowed, found, nesting + 1)
        return (found[0].category, EMBEDDED_JSON) if found else None

    def _url(self, url: str, allowed: frozenset[str], nesting: int) -> Shape | _Rewrite | None:
        """Remove forbidden query parameters. Coordinates in the path (a map link such as
        `/maps/@35.68,139.76,15z`) cannot be cut out, so the whole URL goes."""
        if nesting > MAX_NESTING:
            return None
        if "," in url and LOCATION not in allowed:
            path = url.split("?", 1)[0].split("#", 1)[0]
            if coordinates_in_text(path):
                return COORDINATES
        query_at, hash_at = url.find("?"), url.find("#")
        if query_at < 0 and hash_at < 0:
            return None
        start = query_at if query_at >= 0 and (hash_at < 0 or query_at < hash_at) else hash_at
        fingerprint = hash(url[start:])
        if fingerprint in self._clean.get(allowed, _NONE):
            return None

        def judge(part: str, query: str) -> tuple[str, str, str] | None:
            return self._param(part, query, allowed, nesting)

        cleaned, removed = scrub_url(url, judge)
        if removed:
            return _Rewrite(cleaned, removed)
        self._remember_clean(allowed, fingerprint)
        return None

    def _param(
        self, part: str, query: str, allowed: frozenset[str], nesting: int
    ) -> tuple[str, str, str] | None:
        fingerprint = hash(part)
        if fingerprint in self._clean.get(allowed, _NONE):
            return None
        name, value = split_param(part)
        found = self._judge_param(name, value, query, allowed, nesting)
        if found is None:
            self._remember_clean(allowed, fingerprint)
            return None
        return (name, found[0], found[1])

    def _judge_param(
        self, name: str, value: str, query: str, allowed: frozenset[str], nesting: int
    ) -> Shape | None:
        verdict = self._params.verdict(name)
        if verdict is SENSITIVE_NAME:
            return (SENSITIVE, URL_PARAM)
        if verdict is not None and verdict.category not in allowed:
            siblings = names(query) if verdict.action == BESIDE_LAT else ()
            rule = self._keys.condemns(verdict, value, siblings)
            if rule is not None:
                return (verdict.category, URL_PARAM if rule == KEY_NAME else rule)
        if len(value) < MIN_LENGTH:
            return None
        found = self._text(value, allowed, nesting + 1)
        if isinstance(found, _Rewrite):
            return (found.removed[0][1], URL_PARAM)
        return found


def _render(chain: Chain, key: str | int) -> str:
    keys: list[str | int] = [key]
    while chain is not None:
        chain, step = chain
        keys.append(step)
    parts: list[str] = []
    for step in reversed(keys):
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(f".{_safe(step)}" if parts else _safe(step))
    return "".join(parts)


def _safe(name: str) -> str:
    """A key or parameter name for a Removal path; one that is itself data is masked."""
    return "*" if string_shape(name) is not None else name


def _build_trie(known: Mapping[str, str], trusted: Iterable[str]) -> dict[str, _Node]:
    root: dict[str, _Node] = {}
    for path, category in known.items():
        _node_at(root, path).category = category
    for path in trusted:
        _node_at(root, path).trusted = True
    return root


def _node_at(root: dict[str, _Node], path: str) -> _Node:
    steps = path.split(".")
    node = root.setdefault(steps[0], _Node())
    for step in steps[1:]:
        node = node.children.setdefault(step, _Node())
    return node
