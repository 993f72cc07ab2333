"""Forbidden categories: remove what the privacy policy says the company does not collect.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: "as a general rule, we will not collect the following information that can be obtained
via smartphone ... GPS location information; personal information and contact information
listed in phone books and address books; communication content (content of messages exchanged
within the app, etc.); photos and videos saved on your device." An app that needs one of them
explains it and asks for consent; the caller then passes that category in `allowed`.

`Scrubber.scrub` walks a Segment-Spec event once, dicts and arrays at any depth, and removes
data found by four detectors: known paths (`paths.py`), key names (`keys.py`, vocabulary in
`vocabulary.py`), value shapes (`shapes/`: `values.py` dispatching to `coordinates.py`,
`contacts.py`, `messages.py`, `media.py`) and URL parameters (`texts.py`, `urls.py`); every
value also meets the registered recognisers (`sweep.py`, `registry.py`), except the plain
strings no judge can condemn (`plain.py`).
The walk carries a context down: under a key that names a conversation (`chat`, `ticket` ...)
text fields are messages; under one that names a channel (`room`, `aps`, or the event's name)
message bodies are; under one that names a place, `x`/`y` are a position. After a dict's
keys it judges the dict whole (`shapes/records.py`), after a list's items the list. It
returns where and why, never what.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from gateway.config.defaults import FORBIDDEN_PATHS
from gateway.policy.forbidden.detectors.identifiers import IpTruncator
from gateway.policy.forbidden.keys import (
    AXES,
    BODY,
    CLEARS_MESSAGE,
    CONTACT_COLUMN,
    IN_CHANNEL,
    IN_MESSAGE,
    IN_PLACE,
    REACH,
    SENDER,
    SETS_CHANNEL,
    SETS_MESSAGE,
    SETS_PLACE,
    TEXT,
    KeyClassifier,
)
from gateway.policy.forbidden.paths import Chain, Node, build_trie, render, safe
from gateway.policy.forbidden.plain import unjudged
from gateway.policy.forbidden.shapes.contacts import (
    CONTACT_LIST,
    MAX_ENTRIES,
    contact_list,
)
from gateway.policy.forbidden.shapes.coordinates import COORDINATES, Shape
from gateway.policy.forbidden.shapes.messages import (
    IN_THREAD,
    KEY_CONTEXT,
    message_route,
)
from gateway.policy.forbidden.shapes.records import lone_pair_keys, record_shape
from gateway.policy.forbidden.shapes.values import MIN_LENGTH, key_data, list_shape
from gateway.policy.forbidden.sweep import DROP, KEEP, MIN_SWEPT, Sweeper
from gateway.policy.forbidden.texts import Rewrite, TextScanner
from gateway.policy.forbidden.urls import ParamNames
from gateway.policy.forbidden.vocabulary import CATEGORIES, CONTACTS, LOCATION, MESSAGE_CONTENT

FORBIDDEN_CATEGORIES: tuple[str, ...] = CATEGORIES
KNOWN_PATHS: Mapping[str, str] = FORBIDDEN_PATHS
KNOWN_PATH = "known_path"
PLAIN_CACHE_SIZE = 16_384
MAX_DEPTH = 200  # deeper events are rejected rather than half-scanned
_RECORD_ROLES = REACH | CONTACT_COLUMN | SENDER | AXES
_IN_THREAD = IN_MESSAGE | IN_CHANNEL


class NestingTooDeepError(ValueError):
    """The event nests dicts/arrays deeper than MAX_DEPTH; reject it (fail closed)."""


@dataclass(frozen=True, slots=True)
class Removal:
    """One removed item: where and why, never the value."""

    path: str  # "properties.items[2].photo"; a URL parameter: "context.page.url?lat"
    category: str  # one of FORBIDDEN_CATEGORIES, "sensitive", or "unscanned" (nested too deep)
    rule: str  # "known_path" | "key_name" | "key_context" | "value:<shape>" | "url_param"


class _Scan:
    """One scan: of an event, or of a structure embedded in one of its strings. Not a
    dataclass, so that mypyc compiles its `__init__` (see route.router.Verdict)."""

    __slots__ = ("allowed", "named", "nesting", "out", "seen")

    def __init__(
        self, allowed: frozenset[str], out: list[Removal], nesting: int = 0, named: int = 0
    ) -> None:
        self.allowed = allowed
        self.out = out
        self.nesting = nesting  # URLs and embedded texts above this one
        self.named = named  # the context the event's name gives `properties`
        self.seen = 0  # the key roles of the dict scanned last (for the list holding it)


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
        ips: IpTruncator | None = None,
    ) -> None:
        self._keys = KeyClassifier(extra_key_names, key_data)
        self._trie = build_trie(KNOWN_PATHS, trusted_paths)
        params = ParamNames(self._keys, sensitive_query_params)
        self._texts = TextScanner(self._keys, params, self._embedded)
        self._sweeper = Sweeper(render, ips, Removal)  # recognisers by what a value is
        self._plain: set[int] = set()  # hashes of strings the plain-string gate admitted

    def forget_clean(self) -> None:
        """Empty the caches of strings found clean (benchmarks time a unique event with it)."""
        self._texts.clean.clear()
        self._sweeper.forget_clean()
        self._plain.clear()

    def _skips(
        self, text: str, fingerprint: int, clean: AbstractSet[int], swept: AbstractSet[int]
    ) -> bool:
        """Whether a string can skip both string judges: too short for either, admitted by
        the gate (now or before), or found clean by both before under what is allowed."""
        return (
            len(text) < MIN_LENGTH
            or fingerprint in self._plain
            or (fingerprint in clean and fingerprint in swept)
            or self._admits(text, fingerprint)
        )

    def _admits(self, text: str, fingerprint: int) -> bool:
        """Whether no string judge can condemn `text` (`plain.py`); remembered, since the gate
        does not depend on what is allowed."""
        if not unjudged(text):
            return False
        if len(self._plain) >= PLAIN_CACHE_SIZE:
            self._plain.clear()
        self._plain.add(fingerprint)
        return True

    def scrub(self, event: dict[str, Any], allowed: frozenset[str] = frozenset()) -> list[Removal]:
        """Remove forbidden data from `event` (mutated in place) except categories in
        `allowed`; return what was removed, paths as in the input."""
        out: list[Removal] = []
        if type(allowed) is not frozenset:
            allowed = frozenset(allowed)
        if type(event) is dict:
            scan = _Scan(allowed, out, named=self._name_context(event))
            self._dict(event, None, self._trie, scan, 0, 0)
        return out

    def _name_context(self, event: dict[str, Any]) -> int:
        """A track event named "Support Chat Closed", "SMS Synced" or "Notification Posted"
        makes its properties a message channel (their message bodies are messages), until a
        key such as `campaign` says otherwise."""
        name = event.get("event") if event.get("type", "track") == "track" else event.get("name")
        if type(name) is not str or not name or len(name) > 100:
            return 0
        bits = self._keys.roles(name)
        return IN_CHANNEL if bits & (SETS_MESSAGE | SETS_CHANNEL) else 0

    def _dict(
        self,
        obj: dict[str, Any],
        chain: Chain,
        trie: dict[str, Node] | None,
        scan: _Scan,
        depth: int,
        context: int,
    ) -> Shape | None:
        """Scan a dict's entries; return a shape when the dict as a whole is forbidden data
        (the caller removes it)."""
        if depth > MAX_DEPTH:
            raise NestingTooDeepError(f"event nests deeper than {MAX_DEPTH} levels")
        keys, allowed, out = self._keys, scan.allowed, scan.out
        cache = keys.cache
        texts, nesting, sweeper = self._texts, scan.nesting, self._sweeper
        clean, changes = texts.clean.get(allowed, _NONE), None
        swept = sweeper.clean(allowed)
        mark, seen, children = len(out), 0, 0
        for key, value in obj.items():
            node = trie.get(key) if trie is not None else None
            if (
                node is not None
                and (settled := self._special(node, chain, key, obj, scan)) is not None
            ):
                if settled is not _KEEP:
                    (changes := changes or _Changes()).record(key, settled)
                continue
            entry = cache.get(key)
            verdict, bits, effects = entry if entry is not None else keys.lookup(key)
            if verdict is not None and verdict.category not in allowed:
                rule = keys.condemns(verdict, value, obj)
                if rule is not None:
                    out.append(Removal(render(chain, key), verdict.category, rule))
                    (changes := changes or _Changes()).drop(key)
                    continue
            if bits:
                seen |= bits
                if (
                    context & _IN_THREAD
                    and bits & (TEXT if context & IN_MESSAGE else BODY)
                    and self._in_thread(value, allowed)
                ):
                    out.append(Removal(render(chain, key), MESSAGE_CONTENT, KEY_CONTEXT))
                    (changes := changes or _Changes()).drop(key)
                    continue
            kind = type(value)
            if kind is str:
                fingerprint = hash(value)
                if self._skips(value, fingerprint, clean, swept):
                    continue
                if fingerprint not in clean and (found := texts.text(value, allowed, nesting)):
                    value = self._apply(found, chain, key, out)
                    (changes := changes or _Changes()).record(key, value)
                if (
                    value is not _DROP
                    and len(value) >= MIN_SWEPT
                    and hash(value) not in swept
                    and (fate := sweeper.string(value, chain, key, allowed, out)) is not KEEP
                ):
                    (changes := changes or _Changes()).record(key, _DROP if fate is DROP else fate)
            elif (kind is dict or kind is list) and value:
                inner = _child_context(context, effects) if effects else context
                if node is not None:
                    inner |= scan.named if node.named else 0
                    below = node.children or None
                else:
                    below = None
                children += kind is dict
                before = len(out)
                result = self._container(value, chain, key, below, scan, depth, inner)
                if result is _DROP:
                    (changes := changes or _Changes()).drop(key)
                elif (
                    len(out) > before
                    and verdict is not None
                    and verdict.category not in allowed
                    and keys.condemns(verdict, value, obj) is not None
                ):  # judged harmless (a hosted image's object) until parts of it went
                    del out[before:]
                    out.append(Removal(render(chain, key), verdict.category, verdict.rule))
                    (changes := changes or _Changes()).drop(key)
        if changes is not None:
            changes.apply(obj)
        scan.seen = seen
        if depth and (seen & _RECORD_ROLES or children >= 2):
            shape = self._record(obj, chain, scan, (seen, context, children), mark)
            if shape is not None:
                return shape
        if depth and (whole := sweeper.record(obj, allowed)) is not None:
            del out[mark:]  # the dict goes whole: what went from inside it is not reported
            return whole
        return None

    def _embedded(self, inner: Any, allowed: frozenset[str], nesting: int) -> Shape | None:
        """Scan a structure found in a string; the first thing removed from it, or None."""
        found: list[Removal] = []
        self._container(inner, None, "", None, _Scan(allowed, found, nesting), 0, 0)
        return (found[0].category, found[0].rule) if found else None

    def _in_thread(self, value: Any, allowed: frozenset[str]) -> bool:
        if MESSAGE_CONTENT in allowed:
            return False
        return self._keys.condemns(IN_THREAD, value, ()) is not None

    def _record(
        self, obj: dict[str, Any], chain: Chain, scan: _Scan, walk: tuple[int, int, int], mark: int
    ) -> Shape | None:
        """The dict as a whole (`shapes/records.py`), or two of its numbers as a position (those two
        go). `walk`: the roles seen among its keys, its context, how many dicts it holds."""
        seen, context, children = walk
        keys = self._keys
        shape = record_shape(obj, seen, children, keys.roles, keys.roles_of)
        if shape is not None and shape[0] not in scan.allowed:
            del scan.out[mark:]  # the dict goes whole: what went from inside it is not reported
            return shape
        if seen & AXES and LOCATION not in scan.allowed:
            for key in lone_pair_keys(obj, context, keys.roles):
                del obj[key]
                scan.out.append(Removal(render(chain, key), *COORDINATES))
        return None

    def _special(self, node: Node, chain: Chain, key: str, obj: dict[str, Any], scan: _Scan) -> Any:
        """A configured path settles the key: _KEEP (trusted, or a page's search judged), _DROP
        (a known path, or a page's search dropped), a rewritten search; else None."""
        if node.trusted:
            return _KEEP
        if node.routed:
            value = obj[key]
            if type(value) is str and value and (route := _page_route(obj, value)):
                found = self._texts.url(value, scan.allowed, scan.nesting, route)
                return self._apply(found, chain, key, scan.out) if found else _KEEP
            return None
        if node.category is None or node.category in scan.allowed:
            return None
        scan.out.append(Removal(render(chain, key), node.category, KNOWN_PATH))
        return _DROP

    def _list(
        self, items: list[Any], chain: Chain, scan: _Scan, depth: int, context: int
    ) -> Shape | None:
        """Scan a list's items; return a shape when the list as a whole is forbidden data:
        entries of other people with a way to reach them (an address book, whatever its
        name), judged on the entries as walked."""
        if depth > MAX_DEPTH:
            raise NestingTooDeepError(f"event nests deeper than {MAX_DEPTH} levels")
        drops: set[int] = set()
        texts, allowed, nesting, mark = self._texts, scan.allowed, scan.nesting, len(scan.out)
        clean, swept = texts.clean.get(allowed, _NONE), self._sweeper.clean(allowed)
        entries: list[dict[str, Any]] = []
        roles: list[int] = []
        for index, item in enumerate(items):
            kind = type(item)
            if kind is dict:
                if not item:
                    continue
                if self._container(item, chain, index, None, scan, depth, context) is _DROP:
                    drops.add(index)
                if index < MAX_ENTRIES:
                    entries.append(item)
                    roles.append(scan.seen)
            elif kind is str:
                fingerprint = hash(item)
                if self._skips(item, fingerprint, clean, swept):
                    continue
                if fingerprint not in clean and (found := texts.text(item, allowed, nesting)):
                    result = self._apply(found, chain, index, scan.out)
                    if result is _DROP:
                        drops.add(index)
                        continue
                    items[index] = item = result
                if len(item) < MIN_SWEPT or hash(item) in swept:
                    continue
                fate = self._sweeper.string(item, chain, index, allowed, scan.out)
                if fate is DROP:
                    drops.add(index)
                elif fate is not KEEP:
                    items[index] = fate
            elif (
                kind is list
                and item
                and self._container(item, chain, index, None, scan, depth, context) is _DROP
            ):
                drops.add(index)
        if (
            len(entries) >= 2
            and len(entries) == min(len(items), MAX_ENTRIES)
            and CONTACTS not in allowed
            and contact_list(entries, roles)
        ):
            del scan.out[mark:]  # the list goes whole: what went from inside it is not reported
            return CONTACT_LIST
        if drops:
            items[:] = [item for index, item in enumerate(items) if index not in drops]
            # What remains may be forbidden as a whole ([lat, <vCard>, lng] leaves a pair).
            shape = list_shape(items, bool(context & IN_PLACE)) if items else None
            if shape is not None and shape[0] not in allowed:
                del scan.out[mark:]
                return shape
        if items and (whole := self._sweeper.collection(items, allowed)) is not None:
            del scan.out[mark:]
            return whole
        return None

    def _container(
        self,
        value: dict[str, Any] | list[Any],
        parent: Chain,
        key: str | int,
        trie: dict[str, Node] | None,
        scan: _Scan,
        depth: int,
        context: int,
    ) -> Any:
        """Scan a non-empty dict or list: _DROP when it is itself forbidden data."""
        if isinstance(value, dict):
            shape = self._dict(value, (parent, key), trie, scan, depth + 1, context)
        else:
            shape = list_shape(value, bool(context & IN_PLACE))
            if shape is None or shape[0] in scan.allowed:
                shape = self._list(value, (parent, key), scan, depth + 1, context)
        if shape is None:
            return _KEEP
        scan.out.append(Removal(render(parent, key), shape[0], shape[1]))
        return _DROP

    def _apply(
        self, found: Shape | Rewrite, parent: Chain, key: str | int, out: list[Removal]
    ) -> Any:
        """Record a string's verdict: _DROP, or the rewritten URL."""
        path = render(parent, key)
        if isinstance(found, Rewrite):
            for suffix, category, rule in found.removed:
                out.append(Removal(path + suffix[0] + safe(suffix[1:]), category, rule))
            return found.text
        out.append(Removal(path, found[0], found[1]))
        return _DROP


def _child_context(context: int, bits: int) -> int:
    if bits & CLEARS_MESSAGE:
        context &= ~_IN_THREAD
    elif bits & SETS_MESSAGE:
        context |= IN_MESSAGE
    elif bits & SETS_CHANNEL:
        context |= IN_CHANNEL
    return context | IN_PLACE if bits & SETS_PLACE else context


def _page_route(page: dict[str, Any], search: str) -> bool:
    """A page's `search` is the query of its `url`: a messaging link's when the url is one."""
    url = page.get("url")
    if search[0] != "?" or type(url) is not str:
        return False
    query_at = url.find("?")
    return message_route(url, query_at if query_at >= 0 else len(url))
