"""The one protocol every detector implements.

A `Recogniser` judges one string: `prefilter` is a cheap test that must be true of every
string `judge` condemns (a property test proves it for each registered recogniser), so most
strings cost one or two C-speed checks. A `RecordJudge` judges a dict whole (a person record,
a message with its sender), a `CollectionJudge` a list whole (an address book, a position
trace). Each returns the rule that decided, or None; a removal names `<detector>:<rule>`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Recogniser:
    """Judges one string value."""

    name: str  # "location.polyline"
    category: str  # one of vocabulary.CATEGORIES
    prefilter: Callable[[str], bool]
    judge: Callable[[str], str | None]
    hints: frozenset[str] = frozenset()
    """When set, the value is judged only under a key with one of these words: a shape too
    common among IDs to be told apart alone (a geohash is also a plausible user ID)."""
    plain_shaped: bool = False
    """Whether the judge can condemn a string with no ASCII digit and none of `@ : = % ( \\ ~ _`
    and NUL (prose, titles, Japanese text); those strings meet only such recognisers."""
    in_links: bool = False
    """Whether the judge can condemn an http(s) link (a pair or grid reference in its path,
    WKT, bytes, two people); links meet only such recognisers."""
    word_shaped: bool = False
    """Whether the judge can condemn a string of letters, digits, `_` and `-` alone (an ID's
    shape, the commonest unique string); those strings meet only such recognisers. A
    property test checks the others never condemn one."""

    def __call__(self, text: str, words: frozenset[str] = frozenset()) -> str | None:
        if self.hints and self.hints.isdisjoint(words):
            return None
        if not self.prefilter(text):
            return None
        rule = self.judge(text)
        return None if rule is None else f"{self.name}:{rule}"


@dataclass(frozen=True, slots=True)
class RecordJudge:
    """Judges a dict whole: the dict goes when it is forbidden data as a record."""

    name: str
    category: str
    judge: Callable[[dict[str, Any]], str | None]
    key: Callable[[str], bool] | None = None
    """When set, the judge runs only on a dict with a key it accepts (true of some key of
    every dict the judge condemns; a property test checks it)."""

    def __call__(self, record: dict[str, Any]) -> str | None:
        rule = self.judge(record)
        return None if rule is None else f"{self.name}:{rule}"


@dataclass(frozen=True, slots=True)
class CollectionJudge:
    """Judges a list whole: the list goes when its items together are forbidden data."""

    name: str
    category: str
    judge: Callable[[list[Any]], str | None]

    def __call__(self, items: list[Any]) -> str | None:
        rule = self.judge(items)
        return None if rule is None else f"{self.name}:{rule}"
