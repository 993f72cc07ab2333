"""Strict parsing of Segment-Spec events: JSON rules, types of the Spec fields, limits,
and server-side fields (messageId when absent, receivedAt, skew-corrected timestamp).
Error messages name the field and the rule, never the value."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from gateway.config.schema import LimitsConfig
from gateway.errors import BadRequest, TooLarge

TYPES = frozenset({"track", "page", "screen", "identify", "group", "alias"})
OBJECT_FIELDS = ("properties", "traits", "context", "integrations")
STRING_FIELDS = ("event", "name", "category", "timestamp", "sentAt", "originalTimestamp")
ID_FIELDS = ("userId", "anonymousId", "groupId", "previousId")
CONTEXT_OBJECTS = ("page", "device", "os", "app", "screen", "library", "consent", "traits",
                   "campaign", "network", "location", "referrer")  # fmt: skip
CONTEXT_STRINGS = ("ip", "userAgent", "locale", "timezone")
BATCH_SHARED = ("context", "integrations")


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest("empty body: expected a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"invalid JSON: {_json_reason(exc)}") from None


def _json_reason(exc: orjson.JSONDecodeError) -> str:
    # orjson's message names the rule and position only (e.g. "unexpected character:
    # line 1 column 7 (char 6)"); it never quotes the document.
    return str(exc.args[0]) if exc.args else "malformed"


def events_from(
    document: Any,
    endpoint_type: str | None,
    limits: LimitsConfig,
    body_size: int | None = None,
) -> list[dict[str, Any]]:
    """The events of a request: one for /v1/<type>, the `batch` list for /v1/batch.
    `body_size` (the decoded body's length) spares measuring events that cannot be over
    the per-event limit because the whole body is not."""
    if not isinstance(document, dict):
        raise BadRequest("body must be a JSON object")
    measure = body_size is None or body_size > limits.max_event_bytes
    if endpoint_type is not None:
        _check_event(document, "", endpoint_type, limits, measure)
        return [document]
    batch = document.get("batch")
    if not isinstance(batch, list):
        raise BadRequest('batch: must be a list of events under the key "batch"')
    if not batch:
        raise BadRequest("batch: is empty")
    if len(batch) > limits.max_batch_events:
        raise TooLarge(f"batch: {len(batch)} events (limit {limits.max_batch_events})")
    shared = _batch_shared(document)
    for key, value in shared.items():
        # Checked before it is copied into every item (a deep copy of a deep object recurses).
        if _depth_exceeds(value, limits.max_depth - 1):
            raise BadRequest(f"{key}: nesting deeper than {limits.max_depth} levels")
    total = 0
    for index, event in enumerate(batch):
        where = f"batch[{index}]"
        if not isinstance(event, dict):
            raise BadRequest(f"{where}: must be an object")
        _merge_shared(event, shared)
        total += _check_event(event, where + ".", None, limits, measure or bool(shared))
        if shared and total > limits.max_batch_bytes:
            # A shared context copied into every item must not multiply the batch limit.
            raise TooLarge(
                f"batch: larger than {limits.max_batch_bytes} bytes once its context is merged"
            )
    return batch


def _batch_shared(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The batch-level `context` and `integrations`, which Segment's batch API merges into
    every item (the item's own keys win)."""
    shared = {}
    for key in BATCH_SHARED:
        value = document.get(key)
        if value is not None and not isinstance(value, dict):
            raise BadRequest(f"{key}: must be an object")
        if value:
            shared[key] = value
    return shared


def _merge_shared(event: dict[str, Any], shared: dict[str, dict[str, Any]]) -> None:
    for key, value in shared.items():
        own = event.get(key)
        if own is None or isinstance(own, dict):
            # A copy per item: later stages edit each event's context in place.
            event[key] = {**copy.deepcopy(value), **(own or {})}


def _check_event(
    event: dict[str, Any], where: str, implied: str | None, limits: LimitsConfig, measure: bool
) -> int:
    """Checks one event in place; returns its size in bytes (0 when not measured)."""
    _check_type(event, where, implied)
    for key in OBJECT_FIELDS:
        _expect(event, key, dict, "an object", where)
    for key in STRING_FIELDS:
        _expect(event, key, str, "a string", where)
    for key in ID_FIELDS:
        _check_id(event, key, where)
    _expect(event, "messageId", str, "a string", where)
    message_id = event.get("messageId")
    if isinstance(message_id, str) and not 0 < len(message_id) <= 200:
        raise BadRequest(f"{where}messageId: must be 1 to 200 characters")
    _check_context(event.get("context"), where)
    _check_required(event, where)
    whole = where.rstrip(".") or "event"
    if _depth_exceeds(event, limits.max_depth):
        raise BadRequest(f"{whole}: nesting deeper than {limits.max_depth} levels")
    size = len(orjson.dumps(event)) if measure else 0
    if size > limits.max_event_bytes:
        raise TooLarge(f"{whole}: {size} bytes (limit {limits.max_event_bytes})")
    return size


def _check_type(event: dict[str, Any], where: str, implied: str | None) -> None:
    if "type" not in event and "action" in event:
        event["type"] = event.pop("action")  # the legacy batch format names it "action"
    kind = event.get("type")
    if kind is None and implied is not None:
        event["type"] = implied
        return
    if kind is None:
        raise BadRequest(f"{where}type: missing (one of {', '.join(sorted(TYPES))})")
    if not isinstance(kind, str) or kind not in TYPES:
        raise BadRequest(f"{where}type: must be one of {', '.join(sorted(TYPES))}")
    if implied is not None and kind != implied:
        raise BadRequest(f'{where}type: this endpoint takes "{implied}" events')


def _expect(event: dict[str, Any], key: str, kind: type, noun: str, where: str) -> None:
    value = event.get(key)
    if value is None:
        event.pop(key, None)
    elif not isinstance(value, kind):
        raise BadRequest(f"{where}{key}: must be {noun}")


def _check_id(event: dict[str, Any], key: str, where: str) -> None:
    value = event.get(key)
    if value is None:
        event.pop(key, None)
    elif isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadRequest(f"{where}{key}: must be a string")
    elif isinstance(value, int):
        event[key] = str(value)  # several SDKs send numeric user IDs
    elif len(value) > 1000:
        raise BadRequest(f"{where}{key}: longer than 1000 characters")


def _check_context(context: Any, where: str) -> None:
    if not isinstance(context, dict):
        return
    for key in CONTEXT_OBJECTS:
        value = context.get(key)
        if value is not None and not isinstance(value, dict):
            raise BadRequest(f"{where}context.{key}: must be an object")
    for key in CONTEXT_STRINGS:
        value = context.get(key)
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"{where}context.{key}: must be a string")


def _check_required(event: dict[str, Any], where: str) -> None:
    kind = event["type"]
    if not event.get("userId") and not event.get("anonymousId"):
        raise BadRequest(f"{where}userId/anonymousId: one of them is required")
    if kind == "track" and not event.get("event"):
        raise BadRequest(f"{where}event: required for track events")
    if kind == "group" and not event.get("groupId"):
        raise BadRequest(f"{where}groupId: required for group events")
    if kind == "alias" and not (event.get("previousId") and event.get("userId")):
        raise BadRequest(f"{where}previousId/userId: both are required for alias events")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether dicts and lists nest in `value` (itself level 1) deeper than `limit` levels.
    Recursive: at most `limit` + 1 calls deep (max_depth is at most 128), and no stack of
    tuples built for every container of every event."""
    if limit <= 0:
        return True
    for child in value.values() if isinstance(value, dict) else value:
        if isinstance(child, (dict, list)) and _depth_exceeds(child, limit - 1):
            return True
    return False


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        # Also refuses an offset that pushes the time out of range in UTC (year 1 or 9999).
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stamp_server_fields(
    event: dict[str, Any], received: datetime, batch_sent_at: Any, new_id: Callable[[], str]
) -> bool:
    """Adds messageId (when absent), receivedAt and a timestamp corrected for client clock
    skew the way Segment does: timestamp = receivedAt - (sentAt - timestamp).
    Returns True when the messageId came from the client (so it can be deduplicated)."""
    return Stamper(received, batch_sent_at, new_id).stamp(event)


class Stamper:
    """`stamp_server_fields` for the events of one request: what they share (the time of
    arrival, the batch's sentAt) is formatted and parsed once."""

    def __init__(
        self, received: datetime, batch_sent_at: Any, new_id: Callable[[], str]
    ) -> None:
        self.received = received
        self.received_at = iso(received)
        self.batch_sent_at = parse_time(batch_sent_at)
        self.new_id = new_id

    def stamp(self, event: dict[str, Any]) -> bool:
        client_id = "messageId" in event
        if not client_id:
            event["messageId"] = self.new_id()
        event["receivedAt"] = self.received_at
        timestamp = parse_time(event.get("timestamp"))
        own = event.get("sentAt")
        sent_at = parse_time(own) if own else self.batch_sent_at
        if timestamp is None:
            event["timestamp"] = self.received_at
            return client_id
        event["originalTimestamp"] = event["timestamp"]
        event["timestamp"] = iso(_skew_corrected(timestamp, sent_at, self.received))
        return client_id


def _skew_corrected(timestamp: datetime, sent_at: datetime | None, received: datetime) -> datetime:
    if sent_at is None:
        return timestamp
    try:
        return received - (sent_at - timestamp)
    except OverflowError:
        return received  # a skew so absurd it leaves the calendar: the client clock is useless


def new_message_id() -> str:
    return f"gw-{uuid.uuid4()}"
