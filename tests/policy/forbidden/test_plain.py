"""The plain-string gate (`gateway/policy/forbidden/plain.py`) is a prefilter: the walk skips
both string judges for what it admits, so it must admit nothing either judge would remove
or rewrite. Proven on strings drawn from its own pattern, under keys that hint at every
shape, with every category forbidden and IP truncation on."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.policy.forbidden import vocabulary
from gateway.policy.forbidden.detectors.identifiers import IpTruncator
from gateway.policy.forbidden.plain import PLAIN, unjudged
from gateway.policy.forbidden.registry import STRINGS
from gateway.policy.forbidden.sweep import KEEP
from gateway.policy.forbidden.walk import Scrubber

HINT_WORDS = sorted({word for r in STRINGS for word in r.hints})
COMMON_KEYS = ["", "id", "name", "title", "userAgent", "query", "url", "message", "text", "body"]
KEYS = st.one_of(
    st.sampled_from([*COMMON_KEYS, *HINT_WORDS, *sorted(vocabulary.HEADS)]), st.text(max_size=20)
)
NOTHING_ALLOWED: frozenset[str] = frozenset()


def judged(scrubber: Scrubber, text: str, key: str) -> list[Any]:
    """What the two string judges decide of `text` under `key` (empty: keep it as it is)."""
    scrubber.forget_clean()
    decided: list[Any] = []
    found = scrubber._texts.text(text, NOTHING_ALLOWED, 0)
    if found:
        decided.append(found)
    fate = scrubber._sweeper.string(text, None, key, NOTHING_ALLOWED, decided)
    if fate is not KEEP:
        decided.append(fate)
    return decided


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(ips=IpTruncator(24, 48))


@settings(max_examples=3000, deadline=None)
@given(text=st.from_regex(PLAIN, fullmatch=True), key=KEYS)
@example(text="Products Searched", key="event")
@example(text="2026-04-19T08:01:44.000Z", key="timestamp")
@example(text="eb8f624f-b804-4820-9841-811779061596", key="messageId")
@example(text="dresses", key="geohash")  # a geohash's alphabet: left to the judges
def test_no_judge_condemns_what_the_gate_admits(scrubber: Scrubber, text: str, key: str) -> None:
    if unjudged(text):
        assert judged(scrubber, text, key) == [], (text, key)


@settings(max_examples=500, deadline=None)
@given(words=st.lists(st.sampled_from(sorted(vocabulary.HEADS)), min_size=1, max_size=4))
def test_the_vocabularys_own_words_are_kept_too(scrubber: Scrubber, words: list[str]) -> None:
    text = " ".join(w for w in words if w.isascii() and w.isalpha() and len(w) <= 11)
    if text and unjudged(text):
        assert judged(scrubber, text, "message") == [], text


def test_the_gate_admits_the_common_strings_and_not_the_shapes() -> None:
    for text in ("Wool Scarf", "spring_sale", "user_993", "ACC-7994", "2026-04-19T08:01:44Z"):
        assert unjudged(text), text
    for text in ("u4pruydqqvj", "_p~iF~ps|U_ulLnnqC", "35.6812,139.7671", "dresses", "a" * 12):
        assert not unjudged(text), text
