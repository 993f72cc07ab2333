"""Advertising identifiers: when they go (refusal_reason), how they go (remove_ad_ids), and
which subject keys an ad ID yields (an all-zero ID is nobody's key)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.policy.consent.adid import (
    _FOLDED_OUT,
    AD_ID_KEYS,
    AD_ID_MARKER_JA,
    AD_ID_MARKERS,
    _holds_marker,
    _lower,
    _purge,
    refusal_reason,
    remove_ad_ids,
)
from gateway.policy.consent.resolver import Consent, PurposeDecision, RequestSignals
from gateway.policy.identifiers import SubjectKeys, advertising_id, is_zero_id
from tests.policy.harness import Harness

IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
ZERO = "00000000-0000-0000-0000-000000000000"


def consent(advertising: bool = True, refused: bool = False) -> Consent:
    return Consent(
        purposes={"advertising": PurposeDecision(advertising, "case")},
        advertising_id_refused=refused,
    )


def event(**device: Any) -> dict[str, Any]:
    return {"type": "track", "context": {"device": device}}


@pytest.mark.parametrize(
    ("device", "reason"),
    [
        ({"advertisingId": IDFA}, None),
        ({"advertisingId": IDFA, "adTrackingEnabled": True}, None),
        ({"advertisingId": IDFA, "adTrackingEnabled": "true"}, None),
        ({"advertisingId": IDFA, "adTrackingEnabled": 1}, None),
        ({"advertisingId": IDFA, "adTrackingEnabled": False}, "ad_tracking_disabled"),
        ({"advertisingId": IDFA, "adTrackingEnabled": "false"}, "ad_tracking_disabled"),
        ({"advertisingId": IDFA, "adTrackingEnabled": 0}, "ad_tracking_disabled"),
        ({"advertisingId": IDFA, "adTrackingEnabled": "maybe"}, "ad_tracking_disabled"),
        ({"advertisingId": IDFA, "adTrackingEnabled": {}}, "ad_tracking_disabled"),
        ({"advertisingId": ZERO}, "zero_id"),
        ({"advertisingId": ZERO.replace("-", "")}, "zero_id"),
        ({"advertisingId": IDFA, "trackingStatus": "authorized"}, None),
        ({"advertisingId": IDFA, "trackingStatus": "Authorized"}, None),
        ({"advertisingId": IDFA, "trackingStatus": 3}, None),
        ({"advertisingId": IDFA, "trackingStatus": "denied"}, "att_not_authorized"),
        ({"advertisingId": IDFA, "trackingStatus": "restricted"}, "att_not_authorized"),
        ({"advertisingId": IDFA, "trackingStatus": "notDetermined"}, "att_not_authorized"),
        ({"advertisingId": IDFA, "trackingStatus": 0}, "att_not_authorized"),
        ({"advertisingId": IDFA, "attStatus": "denied"}, "att_not_authorized"),
        ({"advertisingId": IDFA, "adTrackingStatus": True}, "att_not_authorized"),
        # The device's own refusal is named first, before the ATT status.
        ({"advertisingId": ZERO, "trackingStatus": "denied"}, "zero_id"),
        ({"adTrackingEnabled": False, "trackingStatus": "denied"}, "ad_tracking_disabled"),
    ],
)
def test_device_signals(device: dict[str, Any], reason: str | None) -> None:
    assert refusal_reason(event(**device), consent()) == reason


def test_customer_refusal_and_denied_advertising() -> None:
    assert refusal_reason(event(advertisingId=IDFA), consent(refused=True)) == "customer_refused"
    assert refusal_reason(event(advertisingId=IDFA), consent(False)) == "advertising_denied"
    assert refusal_reason(event(advertisingId=IDFA), Consent(purposes={})) == "advertising_denied"


@pytest.mark.parametrize(
    "shape",
    [{"type": "track"}, {"context": None}, {"context": {"device": "ios"}}, {"context": []}],
)
def test_events_without_a_device_object(shape: dict[str, Any]) -> None:
    assert refusal_reason(shape, consent()) is None
    assert remove_ad_ids(shape, ["context.device.advertisingId"]) == []


def test_remove_ad_ids_deletes_each_existing_path_only() -> None:
    data = {
        "context": {"device": {"advertisingId": IDFA, "id": "d1"}, "traits": ["idfa"]},
        "properties": {"gaid": "g", "other": {"idfa": None}},
    }
    paths = [
        "context.device.advertisingId",
        "context.traits.idfa",
        "properties.gaid",
        "properties.other.idfa",
        "properties.missing.idfa",
    ]
    assert remove_ad_ids(data, paths) == [
        "context.device.advertisingId",
        "properties.gaid",
        "properties.other.idfa",
    ]
    assert data == {
        "context": {"device": {"id": "d1"}, "traits": ["idfa"]},
        "properties": {"other": {}},
    }


@pytest.mark.parametrize(
    ("value", "zero"),
    [(ZERO, True), ("0", True), ("0000-0000", True), (IDFA, False), ("-", False),
     ("00000000-0000-0000-0000-000000000001", False), ("", False)],
)  # fmt: skip
def test_zero_ids(value: str, zero: bool) -> None:
    assert is_zero_id(value) is zero


def test_a_zero_id_is_no_subject_key() -> None:
    keys = SubjectKeys(b"k" * 32)
    zero = {"anonymousId": "a1", "context": {"device": {"advertisingId": ZERO}}}
    real = {"anonymousId": "a1", "context": {"device": {"advertisingId": IDFA}}}
    assert advertising_id(zero) is None
    assert keys.for_event(zero) == (keys.key("anon", "a1"),)
    assert keys.for_event(real) == (keys.key("anon", "a1"), keys.key("adid", IDFA.lower()))
    assert len(keys.for_identifier(ZERO)) == 2
    assert keys.key("adid", ZERO) not in keys.for_identifier(ZERO)
    assert keys.for_identifier(IDFA)[2] == keys.key("adid", IDFA.lower())


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    harness = Harness(tmp_path_factory.mktemp("adid"))
    yield harness
    harness.close()


def test_a_choice_stored_under_the_zero_id_applies_to_nobody(harness: Harness) -> None:
    """Two strangers with ATT off both send the zero IDFA: one's suspension, had it been
    stored under that ID's key, must not drop the other's events."""
    event = {
        "type": "track",
        "event": "Opened",
        "anonymousId": "stranger",
        "context": {"device": {"advertisingId": ZERO}},
    }
    runtime = harness.base
    zero_key = runtime.subject_keys.key("adid", ZERO)
    keys = runtime.pipeline.prepare(event)
    assert zero_key not in keys
    stored = {zero_key: {"suspend_use": True}}
    source = runtime.sources.authenticate(None, "policy-ios-key-0001")
    outcome = runtime.pipeline.process(event, keys, source, RequestSignals(), stored)
    assert outcome.dropped is None
    assert "context.device.advertisingId" in [r.path for r in outcome.decision.removed]


def test_outbox_items_keep_the_ad_id_key_only_while_the_id_is_sent(harness: Harness) -> None:
    runtime = harness.base
    kept = harness.run(
        {"type": "track", "event": "A", "anonymousId": "a1",
         "context": {"device": {"advertisingId": IDFA}}},
        source="ios",
    )  # fmt: skip
    refused = harness.run(
        {"type": "track", "event": "A", "anonymousId": "a1",
         "context": {"device": {"advertisingId": IDFA, "adTrackingEnabled": False}}},
        source="ios",
    )  # fmt: skip
    ad_key = runtime.subject_keys.key("adid", IDFA.lower())
    anon_key = runtime.subject_keys.key("anon", "a1")
    assert kept.outcome.subject_keys == (anon_key, ad_key)
    assert refused.outcome.subject_keys == (anon_key,)
    for item in runtime.pipeline.outbox_items(refused.outcome, refused.source, 0.0):
        assert item.subject_keys == (anon_key,)


IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"


def test_every_copy_of_a_refused_id_goes() -> None:
    """Attribution SDKs put the ID under their own keys, and apps copy it into properties:
    a refusal must reach every copy, not just context.device.advertisingId."""
    sent = {
        "context": {"device": {"advertisingId": IDFA, "adTrackingEnabled": False, "idfa": IDFA}},
        "properties": {"plan": "pro", "attribution": {"gaid": "38400000-8cf0-11bd-b23e"},
                       "ids": [IDFA.lower(), "sku-1"], "note": IDFA},
        "traits": {"adid": "abc-123"},
    }  # fmt: skip
    removed = remove_ad_ids(sent, ["context.device.advertisingId"])
    assert sent == {
        "context": {"device": {"adTrackingEnabled": False}},
        "properties": {"plan": "pro", "attribution": {}, "ids": ["sku-1"]},
        "traits": {},
    }
    assert "context.device.advertisingId" in removed
    assert "context.device.idfa" in removed and "properties.note" in removed


def test_an_att_status_in_the_app_section_counts_too() -> None:
    sent = {"context": {"device": {"advertisingId": IDFA, "adTrackingEnabled": True},
                        "app": {"trackingStatus": "denied"}}}  # fmt: skip
    assert refusal_reason(sent, consent()) == "att_not_authorized"


# Keys that name an advertising ID in the spellings apps send, plus disguises the fold
# must see through (controls that JSON escapes, Unicode case, separators).
AD_KEY_PARTS = st.sampled_from(
    ["idfa", "IDFA", "adId", "gaid", "advertising_id", "AdvertisingIdentifier", "oaid",
     "İDFA", "id\nfa", "i\u0001dfa", "ad-id", "広告ID", "広\u3000告id", "id\u3000fa", "iédfa",
     "\u212aey", "note", "value", "x"]
)  # fmt: skip
ID_VALUES = st.sampled_from(["6d92078a-8246-4ba4-ae5b-76104861e7dc", "ABC\u212a", "plain"])
SCALARS = ID_VALUES | st.text(max_size=6) | st.integers() | st.none()
NODES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(AD_KEY_PARTS | st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(AD_KEY_PARTS, NODES, max_size=4), ID_VALUES)
@example({"İDFA": "other"}, "plain")
@example({"i\u0001dfa": "other"}, "plain")
@example({"note": "ABC\u212a"}, "ABC\u212a")
@example({"id\u3000fa": "other"}, "plain")
@example({"広\u3000告id": "other"}, "plain")
def test_the_quick_look_never_skips_a_walk_that_would_remove_something(
    properties: dict[str, Any], ad_id: str
) -> None:
    """`remove_ad_ids` looks at the serialised event before walking it in Python; the
    result must be what the walk alone gives."""
    event = {"context": {"device": {"advertisingId": ad_id}}, "properties": properties}
    walked = copy.deepcopy(event)
    walked_removed = ["context.device.advertisingId"]
    del walked["context"]["device"]["advertisingId"]
    _purge(walked, "", {ad_id.strip().lower()}, walked_removed)
    assert remove_ad_ids(event, ["context.device.advertisingId"]) == walked_removed
    assert event == walked


def test_every_ad_id_key_holds_a_marker_the_quick_look_finds() -> None:
    for key in AD_ID_KEYS:
        encoded = key.encode()
        assert AD_ID_MARKER_JA in encoded or any(m in encoded for m in AD_ID_MARKERS), key


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("İKkIi")))
def test_the_quick_looks_lower_case_is_unicodes_where_it_matters(text: str) -> None:
    """bytes.lower() stands in for Unicode's lower case: the same ASCII needles and the same
    fold, for any text (U+0130 and U+212A, whose lower case is ASCII, take the slow path)."""
    raw = text.encode()
    quick, unicode = _lower(raw), text.lower().encode()
    assert quick.translate(None, _FOLDED_OUT) == unicode.translate(None, _FOLDED_OUT)
    ascii_runs = [run for run in re.split(rb"[\x80-\xff]+", unicode) if run]
    assert ascii_runs == [run for run in re.split(rb"[\x80-\xff]+", quick) if run]


@settings(max_examples=500, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from([*AD_ID_MARKERS, b"id", b"i", b"d", b"a", b"fa", b"x", b"advertising"]),
        max_size=12,
    )
)
def test_the_marker_search_finds_what_a_search_per_marker_finds(parts: list[bytes]) -> None:
    folded = b"".join(parts)
    assert _holds_marker(folded) == any(marker in folded for marker in AD_ID_MARKERS)
