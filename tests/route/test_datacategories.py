"""Categories of data provided (provision ledger, APPI art. 29) and of data a destination may
receive (external-transmission notice): longest listed prefix per leaf; what a destination is
sent never has a category its notice entry leaves out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.route.datacategories import (
    CATEGORY_PREFIXES,
    categories_of_patterns,
    categories_of_payload,
)
from gateway.route.projection import Projection
from tests.policy.harness import Harness

IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"


@pytest.mark.parametrize(
    ("payload", "categories"),
    [
        ({"context": {"device": {"advertisingId": IDFA}}}, ["advertising_id"]),
        ({"context": {"device": {"advertisingId": IDFA, "model": "iPhone15,2"}}},
         ["advertising_id", "device"]),
        ({"context": {"device": {"id": "d1", "type": "ios"}}}, ["device", "identifiers"]),
        ({"type": "track", "messageId": "m1", "event": "E"}, ["browsing_history"]),
        ({"userId": "u1", "traits": {"email": "a@example.com"}}, ["identifiers", "profile"]),
        ({"context": {"device": {}, "traits": {}}, "properties": {}}, []),
        ({"properties": {"items": [{"sku": "A"}, {}]}, "context": {"ip": "203.0.113.0"}},
         ["browsing_history", "ip_address"]),
        ({"context": {"geo": {"country": "JP"}, "consent": {"gpc": True}}},
         ["coarse_location", "consent_choices"]),
        ({"custom": {"x": 1}, "context": {"custom": 1}, "integrations": {"All": True}}, ["other"]),
    ],
)  # fmt: skip
def test_categories_of_a_payload(payload: dict[str, Any], categories: list[str]) -> None:
    assert list(categories_of_payload(payload)) == categories


@pytest.mark.parametrize(
    ("patterns", "categories"),
    [
        (["context.device.advertisingId"], ["advertising_id"]),
        (["context.device.*"], ["advertising_id", "device", "identifiers"]),
        (["context.device"], ["advertising_id", "device", "identifiers"]),
        (["type", "messageId"], []),
        (["type", "event", "anonymousId", "userId", "properties.**"],
         ["browsing_history", "identifiers"]),
        (["userId", "context.traits.email"], ["identifiers", "profile"]),
        (["properties.*.sku"], ["browsing_history"]),
        (["custom_field"], ["other"]),
        # Conservative: a value an event puts under a single-value field (an object as
        # advertisingId) keeps that field's category, so the notice lists it too.
        (["**.email"], ["advertising_id", "browsing_history", "coarse_location",
                        "consent_choices", "device", "environment", "identifiers",
                        "ip_address", "location", "other", "profile"]),
    ],
)  # fmt: skip
def test_categories_of_patterns(patterns: list[str], categories: list[str]) -> None:
    assert list(categories_of_patterns(patterns)) == categories


def test_everything_is_every_category() -> None:
    every = sorted({*CATEGORY_PREFIXES.values(), "other"})
    assert list(categories_of_patterns(["**"])) == every
    assert list(categories_of_patterns(["*"])) == every


# --- what a destination is sent stays within what its notice entry says --------------------

KEYS = sorted({k for path in CATEGORY_PREFIXES for k in path} | {"type", "messageId", "x", "y"})
LEAVES = st.one_of(st.integers(0, 9), st.sampled_from(["a", "b"]), st.booleans())
TREES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=20,
)
SEGMENTS = st.sampled_from([*KEYS, "*", "**"])
PATTERNS = (
    st.lists(SEGMENTS, min_size=1, max_size=4)
    .map(".".join)
    .filter(lambda p: ".**.**" not in p and not p.startswith("**.**"))
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), TREES, max_size=6), st.lists(PATTERNS, min_size=1))
def test_a_projection_never_provides_a_category_the_patterns_do_not_name(
    event: dict[str, Any], patterns: list[str]
) -> None:
    projected = Projection(patterns).apply(event)
    assert set(categories_of_payload(projected)) <= set(categories_of_patterns(patterns))


# --- through the pipeline: the outbox record of an advertising ID -------------------------


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    harness = Harness(tmp_path_factory.mktemp("categories"))
    yield harness
    harness.close()


def test_a_provided_advertising_id_is_recorded_as_such(harness: Harness) -> None:
    run = harness.run(
        {"type": "track", "event": "Order Completed", "anonymousId": "a1",
         "properties": {"revenue": 3}, "context": {"device": {"advertisingId": IDFA}}},
        source="ios",
    )  # fmt: skip
    items = {
        i.destination: i for i in run.runtime.pipeline.outbox_items(run.outcome, run.source, 0)
    }
    assert items["ads"].meta["categories"] == ["advertising_id", "browsing_history", "identifiers"]
    assert items["social"].meta["categories"] == ["browsing_history"]
    assert "advertising_id" in items["analytics"].meta["categories"]


def _by_prefix(payload: dict[str, Any]) -> tuple[str, ...]:
    """The rule read literally, as the reference: each leaf (and each listed entry with
    nothing listed under it, when not empty) by its path's longest listed prefix."""
    inner = {p[:n] for p in CATEGORY_PREFIXES for n in range(1, len(p))}
    found: set[str] = set()

    def walk(value: Any, path: tuple[str, ...], category: str | None) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                child = (*path, str(key))
                listed = CATEGORY_PREFIXES.get(child)
                if listed is not None and child not in inner:
                    if item != {} and item != []:
                        found.add(listed)
                else:
                    walk(item, child, listed or category)
        elif isinstance(value, list):
            for item in value:
                walk(item, path, category)
        elif category is not None:
            found.add(category)
        elif path[:1] not in {("type",), ("messageId",), ("context",), ("integrations",)}:
            found.add("other")

    walk(payload, (), None)
    return tuple(sorted(found))


TABLE_KEYS = sorted({key for path in CATEGORY_PREFIXES for key in path} | {"x", "type", "1"})
payloads = st.dictionaries(
    st.sampled_from(TABLE_KEYS),
    st.recursive(
        st.one_of(st.none(), st.integers(0, 3), st.just("v")),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.sampled_from(TABLE_KEYS), inner, max_size=4),
        ),
        max_leaves=25,
    ),
    max_size=6,
)


@settings(max_examples=500, deadline=None)
@given(payloads)
def test_the_trie_walk_finds_what_the_rule_says(payload: dict[str, Any]) -> None:
    assert categories_of_payload(payload) == _by_prefix(payload)
