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
from gateway.policy.forbidden.plain import _AGENT, PLAIN, unjudged
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


@settings(max_examples=1500, deadline=None)
@given(text=st.from_regex(PLAIN, fullmatch=True), key=KEYS)
@example(text="Products Searched", key="event")
@example(text="2026-04-19T08:01:44.000Z", key="timestamp")
@example(text="eb8f624f-b804-4820-9841-811779061596", key="messageId")
@example(text="dresses", key="geohash")  # a geohash's alphabet: left to the judges
@example(
    text="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    key="userAgent",
)
@example(text="Dalvik/2.1 (Linux; U; Android 35.68, 139.76; Pixel 8)", key="userAgent")
@example(text="App/1.2 (090 123.45; 080 234.56)", key="text")
@example(text="https://shop.example.com/products/wool-scarf", key="url")
@example(text="https://line.me/R/msg/text/hello-there", key="message")
@example(text="next-1.64.0", key="version")
@example(text="Europe/Berlin", key="location")
def test_no_judge_condemns_what_the_gate_admits(scrubber: Scrubber, text: str, key: str) -> None:
    if unjudged(text):
        assert judged(scrubber, text, key) == [], (text, key)


@settings(max_examples=200, deadline=None)
@given(text=st.from_regex(_AGENT, fullmatch=True).map(lambda text: text[:400]), key=KEYS)
def test_no_judge_condemns_a_user_agent_the_gate_admits(
    scrubber: Scrubber, text: str, key: str
) -> None:
    if unjudged(text):
        assert judged(scrubber, text, key) == [], (text, key)


@settings(max_examples=500, deadline=None)
@given(words=st.lists(st.sampled_from(sorted(vocabulary.HEADS)), min_size=1, max_size=4))
def test_the_vocabularys_own_words_are_kept_too(scrubber: Scrubber, words: list[str]) -> None:
    text = " ".join(w for w in words if w.isascii() and w.isalpha() and len(w) <= 11)
    if text and unjudged(text):
        assert judged(scrubber, text, "message") == [], text


def test_the_gate_admits_the_common_strings_and_not_the_shapes() -> None:
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    stamp = "2026-04-19T08:01:44Z"
    for text in ("Wool Scarf", "spring_sale", "user_993", "ACC-7994", stamp, agent,
                 "analytics.js", "Europe/Berlin", "https://t.co/x"):  # fmt: skip
        assert unjudged(text), text
    for text in ("u4pruydqqvj", "_p~iF~ps|U_ulLnnqC", "35.6812,139.7671", "dresses", "a" * 12,
                 "Android 090 1234 5678", "Mozilla/5.0 (X 35.6812 139.7671)",
                 "http://10.0.0.1/x", "https://example.com/?q=1", "a.1.2.3.4"):  # fmt: skip
        assert not unjudged(text), text
