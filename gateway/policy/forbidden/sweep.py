"""The walk that calls the registry: every string, dict and list of an event, at any depth.

It runs after the key-and-shape scan of `walk.Scrubber`, on what that scan left. A
string is judged as written, then (once) decoded: percent-encoding, base64, gzip, a JSON or
Python structure inside it (walked like the event), a URL's query parameters (each judged
as a value; a forbidden parameter goes, the rest of the URL stays). Every full IP address is
truncated per policy wherever it stands. Strings found clean are remembered (hashes only).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import orjson

from gateway.policy.forbidden.detectors.identifiers import IpTruncator
from gateway.policy.forbidden.detectors.opaque import MIN_OPAQUE
from gateway.policy.forbidden.embedded import decode_text, parse, starts_structure
from gateway.policy.forbidden.normalise import key_words
from gateway.policy.forbidden.registry import (
    COLLECTIONS,
    IN_LINKS,
    PLAIN_SHAPED,
    RECORDS,
    STRINGS,
    UNREADABLE,
    WORD_SHAPED,
)
from gateway.policy.forbidden.texts import TOO_DEEP, UNSCANNED, opens_a_level
from gateway.policy.forbidden.vocabulary import CATEGORIES

Words = frozenset[str]
_NO_WORDS: Words = frozenset()
WORDISH = re.compile(r"[A-Za-z0-9_\-]+")
# What an ID-shaped string must look like for a word-shaped recogniser to condemn it: a
# polyline of letters, a geohash, an H3 cell, a quadkey, an MGRS reference, WKB hex.
WORD_GATE = re.compile(
    r"[A-Za-z_]{12,}|[0-9b-hjkmnp-z]{7,12}|8[0-9a-f]{14}|[0-3]{13,23}"
    r"|\d{1,2}[A-Z]{3}\d{6,10}|0[01][0-9a-fA-F]{40,}"
)
TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?", re.ASCII
)  # ISO 8601 / RFC 3339
PLAIN = re.compile(r"[^0-9@:=%(\\~_\x00]+")
_HEXISH = re.compile(r"[0-9a-fA-F-]+")
HINTED = tuple(r for r in STRINGS if r.hints)

IP_CATEGORY = "ip_address"
IP_RULE = "identifiers.ip:full_address_truncated"
# Keys whose dotted quads are version numbers, not addresses.
VERSION_WORDS = frozenset({"version", "ver", "build", "release", "revision", "firmware", "sdk"})
CLEAN_CACHE_SIZE = 16_384
MAX_NESTING = 3
KEY_CACHE_SIZE = 4096
MIN_SWEPT = 7  # shorter strings hold no shape a recogniser reads (nor an IP address)
_NO_HASHES: frozenset[int] = frozenset()
MIN_DECODED = 12  # as embedded.MIN_BASE64_TEXT: shorter base64 holds under 9 bytes
_HTTP = ("http://", "https://")


@dataclass(frozen=True, slots=True)
class Found:
    """One removal (or rewrite): path, category, rule; never the value."""

    path: str
    category: str
    rule: str


Path = tuple[Any, str | int] | None  # a linked chain of keys, rendered only when reported
Render = Callable[[Path, str | int], str]


class Sweeper:
    """Judges strings, dicts and lists with the registry. The key-and-shape walk of
    `walk.Scrubber` calls `string`, `record` and `collection` as it goes (one walk);
    `sweep` walks a structure on its own (what a string holds, and tests)."""

    def __init__(
        self, render: Render, ips: IpTruncator | None, make: Callable[..., Any] = Found
    ) -> None:
        self._render = render
        self._ips = ips
        self._make = make  # builds a removal from (path, category, rule)
        self._clean: dict[frozenset[str], set[int]] = {}
        self._key_bits: dict[str, int] = {}  # per key: which record judges it calls for

    def clean(self, allowed: frozenset[str]) -> set[int] | frozenset[int]:
        """Hashes of strings found clean under `allowed` (the walk looks here first)."""
        return self._clean.get(allowed, _NO_HASHES)

    def string(
        self, text: str, path: Path, key: str | int, allowed: frozenset[str], out: list[Any]
    ) -> Any:
        """A string's fate in the event: KEEP, DROP or its rewrite; removals go to `out`."""
        return self._string(text, path, key, allowed, out, 0)

    def record(self, obj: dict[str, Any], allowed: frozenset[str]) -> tuple[str, str] | None:
        """(category, rule) when the dict as a whole is forbidden data."""
        wanted, bits = 0, self._key_bits
        for key in obj:
            mask = bits.get(key)
            if mask is None:
                mask = _key_mask(key)
                if len(bits) >= KEY_CACHE_SIZE:
                    bits.clear()
                bits[key] = mask
            wanted |= mask
        for bit, judge in enumerate(RECORDS):
            if (
                wanted & (1 << bit)
                and judge.category not in allowed
                and (rule := judge(obj)) is not None
            ):
                return judge.category, rule
        return None

    def collection(self, items: list[Any], allowed: frozenset[str]) -> tuple[str, str] | None:
        """(category, rule) when the list as a whole is forbidden data."""
        for judge in COLLECTIONS:
            if judge.category not in allowed and (rule := judge(items)) is not None:
                return judge.category, rule
        return None

    def forget_clean(self) -> None:
        self._clean.clear()

    def sweep(self, event: dict[str, Any], allowed: frozenset[str]) -> list[Found]:
        out: list[Found] = []
        self._dict(event, None, allowed, out, 0)
        return out

    # -- strings
    def judge(
        self, text: str, allowed: frozenset[str], nesting: int = 0, words: Words = _NO_WORDS
    ) -> tuple[str, str] | None:
        """(category, rule) when `text` is forbidden data, as written or decoded once.
        `words`: of the key it stands under, for recognisers that need a hint."""
        clean = self._clean.get(allowed)
        key = hash(text)
        if clean is not None and key in clean:
            return None
        found = self._judge(text, allowed, nesting, words)
        if found is None and nesting == 0 and not any(r.prefilter(text) for r in HINTED):
            self._remember(allowed, key)  # a hinted shape's verdict depends on its key
        return found

    def _judge(
        self, text: str, allowed: frozenset[str], nesting: int, words: Words
    ) -> tuple[str, str] | None:
        found = _recognise(text, allowed, words)
        if found is not None or len(text) < 8:
            return found
        if nesting > MAX_NESTING:  # fail closed: what would need another level is removed
            if allowed.issuperset(CATEGORIES) or not opens_a_level(text):
                return None
            decoded = decode_text(text)  # plain text one decoding away is still judged
            if decoded is None or opens_a_level(decoded):
                return TOO_DEEP
            return _recognise(decoded, allowed, words)
        if text[:8].lower().startswith(_HTTP) and "?" in text:  # a URL found decoded
            for part in text.partition("?")[2].partition("#")[0].split("&"):
                name, _, value = part.partition("=")
                if len(value) >= 7 and (
                    found_param := self.judge(
                        unquote_plus(value), allowed, nesting + 1, key_words(name)
                    )
                ):
                    return found_param[0], "url_param:" + found_param[1]
            return None  # a URL is judged by its parameters, never decoded whole
        if text[0] == "{" and "\n" in text and (rows := _ndjson(text)) is not None:
            found_rows: list[Any] = []
            self._container(rows, None, "", allowed, found_rows, nesting + 1)
            if found_rows:
                return found_rows[0].category, "ndjson:" + found_rows[0].rule
        if text[0] in "{[eW" and starts_structure(text):
            inner = parse(text)
            if isinstance(inner, dict | list):
                inside: list[Any] = []
                self._container(inner, None, "", allowed, inside, nesting + 1)
                return (inside[0].category, "embedded:" + inside[0].rule) if inside else None
        if len(text) < MIN_DECODED and "%" not in text and text[0] != '"':
            return None  # under 9 bytes: nothing a recogniser could condemn
        if _HEXISH.fullmatch(text) is not None and len(text) < MIN_OPAQUE:
            return None  # IDs, UUIDs, digests: base64 of text is never hex digits alone
        decoded = decode_text(text)
        if decoded is None and len(text) >= MIN_OPAQUE and UNSCANNED not in allowed:
            for recogniser in UNREADABLE:
                if recogniser.prefilter(text) and (rule := recogniser.judge(text)):
                    return recogniser.category, f"{recogniser.name}:{rule}"
        if decoded is not None and decoded != text:
            inner_found = self._judge(decoded, allowed, nesting + 1, words)
            if inner_found is not None:
                return inner_found[0], "decoded:" + inner_found[1]
        return None

    def _string(
        self,
        text: str,
        path: Path,
        key: str | int,
        allowed: frozenset[str],
        out: list[Found],
        nesting: int,
    ) -> Any:
        """The string's fate: _DROP, a rewrite, or _KEEP."""
        if len(text) < MIN_SWEPT:
            return _KEEP
        fingerprint = hash(text)
        clean = self._clean.get(allowed)
        if clean is not None and fingerprint in clean:
            return _KEEP
        result: Any = _KEEP
        named = key if type(key) is str or path is None else path[1]  # a list item: its list's
        if (
            self._ips is not None
            and WORDISH.fullmatch(text) is None  # an address needs "." or ":"
            and PLAIN.fullmatch(text) is None  # and digits, or ":"
            and key_words(named).isdisjoint(VERSION_WORDS)  # "10.2.0.15" under `version`
            and (short := self._ips.rewrite(text)) is not None
        ):
            out.append(self._make(self._render(path, key), IP_CATEGORY, IP_RULE))
            text = result = short
        if text[:8].lower().startswith(_HTTP) and "?" in text:
            rewritten = self._url(text, path, key, allowed, out, nesting)
            if rewritten is None and result is _KEEP and nesting == 0:
                self._remember(allowed, fingerprint)
            return rewritten if rewritten is not None else result
        found = self._judge(text, allowed, nesting, key_words(named))
        if found is None:
            if nesting == 0 and result is _KEEP and not _hinted_shape(text):
                self._remember(allowed, fingerprint)  # a hinted shape's verdict needs its key
            return result
        out.append(self._make(self._render(path, key), found[0], found[1]))
        return _DROP

    def _url(
        self,
        url: str,
        path: Path,
        key: str | int,
        allowed: frozenset[str],
        out: list[Found],
        nesting: int,
    ) -> str | None:
        """The URL without parameters judged forbidden, or None when none is."""
        base, _, query = url.partition("?")
        query, hash_mark, fragment = query.partition("#")
        kept, dropped = [], []
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if len(value) >= 7:
                found = self.judge(unquote_plus(value), allowed, nesting + 1, key_words(name))
                if found is not None:
                    dropped.append((name, found))
                    continue
            kept.append(part)
        if not dropped:
            return None
        where = self._render(path, key)
        out.extend(self._make(f"{where}?{name}", cat, rule) for name, (cat, rule) in dropped)
        return base + ("?" + "&".join(kept) if kept else "") + hash_mark + fragment

    def _remember(self, allowed: frozenset[str], key: int) -> None:
        clean = self._clean.get(allowed)
        if clean is None:
            if len(self._clean) >= 16:
                return
            clean = self._clean[allowed] = set()
        elif len(clean) >= CLEAN_CACHE_SIZE:
            clean.clear()
        clean.add(key)

    # -- containers
    def _container(
        self,
        value: Any,
        path: Path,
        key: str | int,
        allowed: frozenset[str],
        out: list[Found],
        nesting: int,
    ) -> bool:
        """Walk a dict or list; True when it is forbidden as a whole (the caller drops it)."""
        inner = (path, key) if key != "" or path is not None else None
        if type(value) is dict:
            return self._dict(value, inner, allowed, out, nesting)
        return self._list(value, inner, allowed, out, nesting)

    def _dict(
        self,
        obj: dict[str, Any],
        path: Path,
        allowed: frozenset[str],
        out: list[Found],
        nesting: int,
    ) -> bool:
        changes: list[tuple[str, Any]] = []
        for key, value in obj.items():
            kind = type(value)
            if kind is str:
                fate = self._string(value, path, key, allowed, out, nesting)
                if fate is not _KEEP:
                    changes.append((key, fate))
            elif (
                (kind is dict or kind is list)
                and value
                and self._container(value, path, key, allowed, out, nesting)
            ):
                changes.append((key, _DROP))
        for key, fate in changes:
            if fate is _DROP:
                del obj[key]
            else:
                obj[key] = fate
        if path is None and nesting == 0:
            return False  # the event itself
        found = self.record(obj, allowed)
        if found is not None:
            out.append(self._make(self._render(*path) if path else "", *found))
        return found is not None

    def _list(
        self, items: list[Any], path: Path, allowed: frozenset[str], out: list[Found], nesting: int
    ) -> bool:
        drops: set[int] = set()
        for index, item in enumerate(items):
            kind = type(item)
            if kind is str:
                fate = self._string(item, path, index, allowed, out, nesting)
                if fate is _DROP:
                    drops.add(index)
                elif fate is not _KEEP:
                    items[index] = fate
            elif (
                (kind is dict or kind is list)
                and item
                and self._container(item, path, index, allowed, out, nesting)
            ):
                drops.add(index)
        if drops:
            items[:] = [item for index, item in enumerate(items) if index not in drops]
        if path is None and nesting == 0:
            return False
        found = self.collection(items, allowed)
        if found is not None:
            out.append(self._make(self._render(*path) if path else "", *found))
        return found is not None


def _key_mask(key: str) -> int:
    """Bit i set when RECORDS[i] may condemn a dict holding `key`."""
    mask = 0
    for bit, judge in enumerate(RECORDS):
        if judge.key is None or judge.key(key):
            mask |= 1 << bit
    return mask


def _hinted_shape(text: str) -> bool:
    return any(recogniser.prefilter(text) for recogniser in HINTED)


def _recognise(text: str, allowed: frozenset[str], words: Words) -> tuple[str, str] | None:
    """The first registered recogniser that condemns `text` (Recogniser.__call__, inlined:
    this loop is the hot path). An ID-shaped string meets only the word-shaped ones."""
    if WORDISH.fullmatch(text) is not None:
        if WORD_GATE.fullmatch(text) is None:
            return None
        candidates = WORD_SHAPED
    elif TIMESTAMP.fullmatch(text) is not None:
        return None  # every event carries several; no recogniser reads one
    elif PLAIN.fullmatch(text) is not None:
        candidates = PLAIN_SHAPED
    elif text[:8].lower().startswith(_HTTP):
        candidates = IN_LINKS
    else:
        candidates = STRINGS
    for recogniser in candidates:
        if not recogniser.prefilter(text) or recogniser.category in allowed:
            continue
        if recogniser.hints and recogniser.hints.isdisjoint(words):
            continue
        rule = recogniser.judge(text)
        if rule is not None:
            return recogniser.category, f"{recogniser.name}:{rule}"
    return None


def _ndjson(text: str) -> list[Any] | None:
    """Newline-delimited JSON records, when every line is one."""
    rows = []
    for line in text.splitlines()[:1000]:
        if not line.strip():
            continue
        try:
            rows.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            return None
    return rows if len(rows) >= 2 else None


KEEP: Any = object()
DROP: Any = object()
_KEEP, _DROP = KEEP, DROP
