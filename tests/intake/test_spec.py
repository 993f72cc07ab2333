"""Strict Spec parsing and the server-side fields, as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.config.schema import LimitsConfig
from gateway.errors import Refused
from gateway.intake import spec
from gateway.intake.spec import (
    Stamper,
    events_from,
    iso,
    parse_json,
    parse_time,
    stamp_server_fields,
)
from gateway.web.responses import status_of

LIMITS = LimitsConfig(max_event_bytes=4096, max_batch_bytes=16384, max_depth=8)
RECEIVED = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def stamp(event: dict[str, Any], batch_sent_at: Any = None) -> tuple[dict[str, Any], bool]:
    client_id = stamp_server_fields(event, RECEIVED, batch_sent_at, lambda: "gw-new")
    return event, client_id


def refused(call: Any) -> tuple[int, str]:
    with pytest.raises(Refused) as caught:
        call()
    return status_of(caught.value), caught.value.message


# ------------------------------------------------------------------ timestamps
def test_received_at_and_generated_message_id() -> None:
    event, client_id = stamp({"type": "track"})
    assert event == {
        "type": "track",
        "messageId": "gw-new",
        "receivedAt": "2026-05-01T12:00:00.123Z",
        "timestamp": "2026-05-01T12:00:00.123Z",
    }
    assert client_id is False
    kept, client_id = stamp({"messageId": "ajs-1"})
    assert (kept["messageId"], client_id) == ("ajs-1", True)


def test_skew_correction_is_segments_formula() -> None:
    event, _ = stamp({"timestamp": "2020-01-01T00:00:00.000Z", "sentAt": "2020-01-01T00:00:09.5Z"})
    assert event["originalTimestamp"] == "2020-01-01T00:00:00.000Z"
    assert event["timestamp"] == iso(RECEIVED - timedelta(seconds=9.5))
    assert event["timestamp"] == "2026-05-01T11:59:50.623Z"


def test_batch_sent_at_applies_unless_the_event_has_its_own() -> None:
    batch_sent = "2020-01-01T00:01:00Z"
    shared, _ = stamp({"timestamp": "2020-01-01T00:00:00Z"}, batch_sent)
    assert shared["timestamp"] == iso(RECEIVED - timedelta(minutes=1))
    own, _ = stamp(
        {"timestamp": "2020-01-01T00:00:00Z", "sentAt": "2020-01-01T00:00:01Z"}, batch_sent
    )
    assert own["timestamp"] == iso(RECEIVED - timedelta(seconds=1))


TIMES = st.one_of(
    st.none(), st.just(""), st.just(0), st.just("not a time"),
    st.datetimes(timezones=st.just(UTC)).map(lambda t: t.isoformat()),
)  # fmt: skip


@given(st.lists(st.fixed_dictionaries({}, optional={"timestamp": TIMES, "sentAt": TIMES,
                                                    "messageId": st.just("m")})),
       TIMES)  # fmt: skip
def test_one_stamper_per_request_stamps_as_each_event_alone(
    events: list[dict[str, Any]], batch_sent_at: Any
) -> None:
    """What the events of a request share is computed once; each event comes out as
    Segment's rule makes it on its own."""
    stamper = Stamper(RECEIVED, batch_sent_at, lambda: "gw-new")
    expected = [_segment_rule(dict(event), batch_sent_at) for event in events]
    assert [(e, stamper.stamp(e)) for e in map(dict, events)] == expected


def _segment_rule(event: dict[str, Any], batch_sent_at: Any) -> tuple[dict[str, Any], bool]:
    client_id = "messageId" in event
    event.setdefault("messageId", "gw-new")
    event["receivedAt"] = iso(RECEIVED)
    timestamp = parse_time(event.get("timestamp"))
    sent_at = parse_time(event.get("sentAt") or batch_sent_at)
    if timestamp is None:
        event["timestamp"] = event["receivedAt"]
        return event, client_id
    event["originalTimestamp"] = event["timestamp"]
    try:
        corrected = timestamp if sent_at is None else RECEIVED - (sent_at - timestamp)
    except OverflowError:
        corrected = RECEIVED
    event["timestamp"] = iso(corrected)
    return event, client_id


def test_without_sent_at_the_timestamp_is_kept_and_normalised_to_utc() -> None:
    event, _ = stamp({"timestamp": "2020-01-01T09:00:00+09:00"})
    assert event["timestamp"] == "2020-01-01T00:00:00.000Z"
    assert event["originalTimestamp"] == "2020-01-01T09:00:00+09:00"


@pytest.mark.parametrize(
    "timestamp",
    ["2015-2-02T00:30:08.276Z", "yesterday", "", "2020-13-01T00:00:00Z", "0" * 41],
)
def test_an_unparsable_timestamp_counts_as_absent(timestamp: str) -> None:
    event, _ = stamp({"timestamp": timestamp, "sentAt": "2020-01-01T00:00:00Z"})
    assert event["timestamp"] == event["receivedAt"]
    assert "originalTimestamp" not in event


@pytest.mark.parametrize(
    ("timestamp", "sent_at"),
    [
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),  # correction leaves the calendar
        ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"),
        ("0001-01-01T00:00:00+14:00", None),  # in range locally, not in UTC
        ("9999-12-31T23:59:59-14:00", None),
        ("2020-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00"),
    ],
)
def test_timestamps_at_the_edge_of_the_calendar_never_crash(
    timestamp: str, sent_at: str | None
) -> None:
    event, _ = stamp({"timestamp": timestamp, "sentAt": sent_at})
    assert datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).year >= 1


def test_parse_time() -> None:
    assert parse_time("2020-01-01T00:00:00") == datetime(2020, 1, 1, tzinfo=UTC)
    assert parse_time("2020-01-01T09:00:00+09:00") == datetime(2020, 1, 1, tzinfo=UTC)
    assert parse_time(1577836800) is None
    assert parse_time(None) is None
    assert parse_time("x" * 100) is None


# ---------------------------------------------------------------- strict parsing
def test_numeric_ids_become_strings() -> None:
    (event,) = events_from({"type": "track", "event": "e", "userId": 42}, "track", LIMITS)
    assert event["userId"] == "42"


def test_null_spec_fields_are_dropped_not_refused() -> None:
    document = {"type": "track", "event": "e", "anonymousId": "a", "properties": None}
    (event,) = events_from(document, "track", LIMITS)
    assert "properties" not in event


def test_the_legacy_action_key_names_the_type() -> None:
    (event,) = events_from(
        {"batch": [{"action": "track", "event": "e", "userId": "u"}]}, None, LIMITS
    )
    assert event["type"] == "track" and "action" not in event


def test_depth_limit_is_inclusive() -> None:
    def nested(depth: int) -> Any:
        value: Any = 1
        for _ in range(depth):
            value = {"k": value}
        return value

    ok = {"type": "track", "event": "e", "anonymousId": "a", "properties": nested(7)}
    assert events_from(ok, "track", LIMITS)  # event (1) + 7 nested objects = 8 levels
    deep = {"type": "track", "event": "e", "anonymousId": "a", "properties": nested(8)}
    assert refused(lambda: events_from(deep, "track", LIMITS)) == (
        400,
        "event: nesting deeper than 8 levels",
    )
    in_array = {
        "type": "track",
        "event": "e",
        "anonymousId": "a",
        "properties": {"a": [[[[[[[1]]]]]]]},
    }
    assert refused(lambda: events_from(in_array, "track", LIMITS))[0] == 400


def test_batch_context_and_integrations_merge_into_each_item() -> None:
    document = {
        "context": {"library": {"name": "analytics-go"}, "locale": "ja-JP"},
        "integrations": {"All": True},
        "batch": [
            {"type": "track", "event": "e", "userId": "u"},
            {"type": "track", "event": "e", "userId": "u", "context": {"locale": "en-US"}},
        ],
    }
    first, second = events_from(document, None, LIMITS)
    assert first["context"] == {"library": {"name": "analytics-go"}, "locale": "ja-JP"}
    assert second["context"] == {"library": {"name": "analytics-go"}, "locale": "en-US"}
    assert first["integrations"] == second["integrations"] == {"All": True}
    first["context"]["library"]["name"] = "changed"  # each item owns its copy
    assert second["context"]["library"]["name"] == "analytics-go"


def test_batch_context_counts_toward_each_items_limits() -> None:
    document = {
        "context": {"traits": {"blob": "x" * 4100}},
        "batch": [{"type": "track", "event": "e", "userId": "u"}],
    }
    status, message = refused(lambda: events_from(document, None, LIMITS))
    assert status == 413 and message.startswith("batch[0]: ")


def test_parse_json_names_the_problem_not_the_value() -> None:
    assert refused(lambda: parse_json(b'{"email": "a@b.example", }')) == (
        400,
        "invalid JSON: trailing comma is not allowed: line 1 column 24 (char 23)",
    )


def test_a_shared_context_cannot_multiply_the_batch_limit() -> None:
    document = {
        "context": {"traits": {"blob": "x" * 3000}},  # fits one event, not ten of them
        "batch": [{"type": "track", "event": "e", "userId": "u"}] * 10,
    }
    assert len(str(document)) < 4000
    assert refused(lambda: events_from(document, None, LIMITS)) == (
        413,
        "batch: larger than 16384 bytes once its context is merged",
    )


_NESTED = st.recursive(
    st.one_of(st.none(), st.integers(), st.text(max_size=3)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=2), children, max_size=3)
    ),
    max_leaves=40,
)


@given(st.dictionaries(st.text(max_size=2), _NESTED, max_size=4), st.integers(0, 12))
def test_the_depth_check_counts_levels_as_the_deepest_path_does(
    value: dict[str, Any], limit: int
) -> None:
    """`_depth_exceeds` against a plain count of the deepest path (the value is level 1)."""

    def levels(node: Any) -> int:
        if isinstance(node, dict):
            return 1 + max((levels(child) for child in node.values()), default=0)
        if isinstance(node, list):
            return 1 + max((levels(child) for child in node), default=0)
        return 0

    assert spec._depth_exceeds(value, limit) is (levels(value) > limit)
