"""What the ingestion tests share: the config they run against, request helpers, and the
table of bad inputs (posted both in-process and to a real uvicorn process)."""

from __future__ import annotations

import base64
import gzip
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning

from tests.support.configs import APP_KEY, SERVER_KEY, WEB_KEY, WEB_ORIGIN, webhook, write_config
from tests.support.receiver import Receiver

with warnings.catch_warnings():
    # Starlette 1.x prefers the `httpx2` package and warns (an error under -W error) when the
    # test client falls back to httpx, which is what this project depends on.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["APP_KEY", "SERVER_KEY", "WEB_KEY", "WEB_ORIGIN", "TestClient"]

# Small limits so the over-limit bodies stay small.
LIMITS = {"max_event_bytes": 4096, "max_batch_bytes": 16384, "max_depth": 8, "max_batch_events": 50}
CANARY = "c4n4ry-Kq7Zx"
"""Put into every bad payload: it must never come back in a response, a metric or a log."""

EVENT_TYPES = ("track", "page", "screen", "identify", "group", "alias")
SERVER_FIELDS = [
    "type",
    "event",
    "messageId",
    "anonymousId",
    "userId",
    "receivedAt",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "context.ip",
    "context.device.model",
    "integrations.**",
    "properties.**",
]


def ingest_settings(receiver_url: str | None = None, **gateway: Any) -> dict[str, Any]:
    """`write_config` arguments: the limits above; a webhook that receives the server-side
    fields when a receiver is given; the full client IP kept (prefix /32, /128) so tests can
    see which address was used."""
    destinations = [webhook("hook", receiver_url, fields=SERVER_FIELDS)] if receiver_url else []
    return {
        "destinations": destinations,
        "gateway": {"limits": LIMITS, **gateway},
        "policy": {"ip": {"ipv4_prefix": 32, "ipv6_prefix": 128}},
    }


def ingest_config(directory: Path, receiver_url: str | None = None, **gateway: Any) -> Path:
    return write_config(directory, **ingest_settings(receiver_url, **gateway))


def basic(key: str) -> dict[str, str]:
    """HTTP Basic with the write key as username and an empty password (Segment's style)."""
    return {"authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def delivered(receiver: Receiver, mark: str, count: int = 1) -> list[dict[str, Any]]:
    """The events a receiver got whose `properties.mark` is `mark` (waits for `count`)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [e for e in receiver.events() if e.get("properties", {}).get("mark") == mark]
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError(f"the receiver did not get {count} event(s) marked {mark}")


class OutboxReader:
    """What a destination is about to be sent, read from the outbox of an in-process app
    that runs no delivery worker (deterministic, and nothing is left running at exit)."""

    def __init__(self, client: TestClient, app: Starlette, destination: str = "hook") -> None:
        self._client = client
        self._app = app
        self._destination = destination
        self.seen: list[dict[str, Any]] = []

    def find(self, key: str, value: Any) -> dict[str, Any]:
        """The one payload whose `key` (a top-level field or `mark`) equals `value`."""
        outbox = self._app.state.runtime.store.outbox
        assert self._client.portal is not None, "use the test client as a context manager"
        claimed = self._client.portal.call(outbox.claim, self._destination, 10_000, 600.0)
        self.seen.extend(entry.item.payload for entry in claimed)
        found = [p for p in self.seen if _field(p, key) == value]
        assert len(found) == 1, f"{len(found)} payloads with {key} = {value!r}"
        return found[0]


def _field(payload: dict[str, Any], key: str) -> Any:
    if key == "mark":
        return payload.get("properties", {}).get("mark")
    return payload.get(key)


def json_body(value: Any) -> bytes:
    return orjson.dumps(value)


def event(kind: str = "track", **fields: Any) -> dict[str, Any]:
    """A minimal valid event of each type."""
    required: dict[str, dict[str, Any]] = {
        "track": {"event": "Order Completed"},
        "page": {"name": "Home"},
        "screen": {"name": "Home"},
        "identify": {"traits": {"plan": "pro"}},
        "group": {"groupId": "g-1"},
        "alias": {"previousId": "anon-1", "userId": "user-1"},
    }
    return {"type": kind, "anonymousId": "anon-1", **required[kind], **fields}


def error_of(status: int, text: str, body: bytes) -> tuple[int, Any]:
    """(status, JSON body) of a response, after checking it never echoes the canary."""
    assert CANARY.encode() not in body, f"response echoes payload data: {text}"
    return status, orjson.loads(body)


def gzip_bomb(inflated: int) -> bytes:
    """A valid gzip stream that inflates to `inflated` bytes of a JSON string."""
    head = b'{"type":"track","event":"%s","anonymousId":"a","properties":{"p":"' % CANARY.encode()
    return gzip.compress(head + b"A" * inflated + b'"}}', compresslevel=9)


@dataclass
class Bad:
    """One bad request: what is sent and the exact status and error that come back."""

    path: str
    body: bytes
    status: int
    error: str
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False

    def content(self) -> bytes | Iterator[bytes]:
        if not self.chunked:
            return self.body
        return (self.body[i : i + 1024] for i in range(0, len(self.body), 1024))

    def request_headers(self) -> dict[str, str]:
        return {**basic(WEB_KEY), "content-type": "application/json", **self.headers}


def _track(**fields: Any) -> bytes:
    return json_body(event("track", **{"properties": {"note": CANARY}, **fields}))


def _batch(*events: Any, **document: Any) -> bytes:
    return json_body({"batch": list(events), **document})


def _nested(depth: int) -> Any:
    value: Any = CANARY
    for _ in range(depth):
        value = {"k": value}
    return value


def _gzip_corrupt() -> bytes:
    good = gzip.compress(_track())
    return good[:12] + bytes(b ^ 0x5A for b in good[12:-8]) + good[-8:]


ONE_EVENT_TOO_BIG = _track(properties={"blob": CANARY + "x" * 5000})
BIG_ITEM = event("track", properties={"blob": CANARY + "x" * 5000})
BATCH_TOO_BIG = _batch(*[event("track", properties={"blob": CANARY + "x" * 3000})] * 6)

BAD: dict[str, Bad] = {
    "malformed-json": Bad(
        "/v1/track",
        b'{"type":"track","event":"' + CANARY.encode() + b'",',
        400,
        "invalid JSON: unexpected end of data: line 1 column 40 (char 39)",
    ),
    "not-json-at-all": Bad(
        "/v1/track",
        CANARY.encode(),
        400,
        "invalid JSON: unexpected character, expected a JSON value: line 1 column 1 (char 0)",
    ),
    "empty-body": Bad("/v1/track", b"  ", 400, "empty body: expected a JSON object"),
    "nan": Bad(
        "/v1/track",
        b'{"event":"' + CANARY.encode() + b'","anonymousId":"a","properties":{"x":NaN}}',
        400,
        "invalid JSON: unexpected character, expected a JSON value: line 1 column 61 (char 60)",
    ),
    "infinity": Bad(
        "/v1/track",
        b'{"event":"' + CANARY.encode() + b'","anonymousId":"a","properties":{"x":Infinity}}',
        400,
        "invalid JSON: unexpected character, expected a JSON value: line 1 column 61 (char 60)",
    ),
    "minus-infinity": Bad(
        "/v1/track",
        b'{"event":"' + CANARY.encode() + b'","anonymousId":"a","properties":{"x":-Infinity}}',
        400,
        "invalid JSON: no digit after sign: line 1 column 62 (char 61)",
    ),
    "number-too-large-for-a-double": Bad(
        "/v1/track",
        b'{"event":"' + CANARY.encode() + b'","anonymousId":"a","properties":{"x":1e400}}',
        400,
        "invalid JSON: number is infinity when parsed as double: line 1 column 61 (char 60)",
    ),
    "lone-surrogate-escape": Bad(
        "/v1/track",
        b'{"event":"x","anonymousId":"a","properties":{"x":"' + CANARY.encode() + b'\\ud800"}}',
        400,
        "invalid JSON: no low surrogate in string: line 1 column 63 (char 62)",
    ),
    "lone-surrogate-bytes": Bad(
        "/v1/track",
        b'{"event":"x","anonymousId":"a","properties":{"' + CANARY.encode() + b'":"\xed\xa0\x80"}}',
        400,
        "invalid JSON: str is not valid UTF-8: surrogates not allowed: line 1 column 1 (char 0)",
    ),
    "body-not-an-object": Bad("/v1/track", json_body([CANARY]), 400, "body must be a JSON object"),
    "missing-type-in-batch": Bad(
        "/v1/batch",
        _batch({"event": CANARY, "anonymousId": "a"}),
        400,
        "batch[0].type: missing (one of alias, group, identify, page, screen, track)",
    ),
    "unknown-type": Bad(
        "/v1/batch",
        _batch(event("track", type=CANARY)),
        400,
        "batch[0].type: must be one of alias, group, identify, page, screen, track",
    ),
    "type-not-a-string": Bad(
        "/v1/batch",
        _batch(event("track", type=[CANARY])),
        400,
        "batch[0].type: must be one of alias, group, identify, page, screen, track",
    ),
    "type-of-another-endpoint": Bad(
        "/v1/track",
        json_body(event("page", name=CANARY)),
        400,
        'type: this endpoint takes "track" events',
    ),
    "event-not-a-string": Bad(
        "/v1/track", _track(event={"name": CANARY}), 400, "event: must be a string"
    ),
    "properties-not-an-object": Bad(
        "/v1/track",
        json_body(event("track", properties=[CANARY])),
        400,
        "properties: must be an object",
    ),
    "traits-not-an-object": Bad(
        "/v1/identify",
        json_body(event("identify", traits=CANARY)),
        400,
        "traits: must be an object",
    ),
    "context-not-an-object": Bad(
        "/v1/track", _track(context=CANARY), 400, "context: must be an object"
    ),
    "context-page-not-an-object": Bad(
        "/v1/page",
        json_body(event("page", context={"page": CANARY})),
        400,
        "context.page: must be an object",
    ),
    "context-ip-not-a-string": Bad(
        "/v1/track", _track(context={"ip": [CANARY]}), 400, "context.ip: must be a string"
    ),
    "user-id-an-object": Bad(
        "/v1/track", _track(userId={"id": CANARY}), 400, "userId: must be a string"
    ),
    "anonymous-id-a-boolean": Bad(
        "/v1/track", _track(anonymousId=True), 400, "anonymousId: must be a string"
    ),
    "message-id-a-number": Bad(
        "/v1/track", _track(messageId=12), 400, "messageId: must be a string"
    ),
    "timestamp-a-number": Bad(
        "/v1/track", _track(timestamp=1700000000), 400, "timestamp: must be a string"
    ),
    "track-without-event": Bad(
        "/v1/track",
        json_body({"type": "track", "anonymousId": "a", "properties": {"x": CANARY}}),
        400,
        "event: required for track events",
    ),
    "no-user-or-anonymous-id": Bad(
        "/v1/track",
        json_body({"event": "x", "properties": {"x": CANARY}}),
        400,
        "userId/anonymousId: one of them is required",
    ),
    "group-without-group-id": Bad(
        "/v1/group",
        json_body({"anonymousId": "a", "traits": {"x": CANARY}}),
        400,
        "groupId: required for group events",
    ),
    "alias-without-previous-id": Bad(
        "/v1/alias",
        json_body({"userId": CANARY}),
        400,
        "previousId/userId: both are required for alias events",
    ),
    "batch-not-a-list": Bad(
        "/v1/batch",
        json_body({"batch": {"e": CANARY}}),
        400,
        'batch: must be a list of events under the key "batch"',
    ),
    "batch-empty": Bad("/v1/batch", json_body({"batch": [], "x": CANARY}), 400, "batch: is empty"),
    "batch-item-not-an-object": Bad(
        "/v1/batch", _batch(CANARY), 400, "batch[0]: must be an object"
    ),
    "batch-context-not-an-object": Bad(
        "/v1/batch", _batch(event(), context=[CANARY]), 400, "context: must be an object"
    ),
    "batch-context-multiplied-past-the-limit": Bad(
        "/v1/batch",
        _batch(*[event()] * 10, context={"traits": {"blob": CANARY + "x" * 3000}}),
        413,
        "batch: larger than 16384 bytes once its context is merged",
    ),
    "nesting-deeper-than-the-limit": Bad(
        "/v1/track",
        json_body(event("track", properties=_nested(8))),
        400,
        "event: nesting deeper than 8 levels",
    ),
    "nesting-too-deep-in-a-batch": Bad(
        "/v1/batch",
        _batch(event(), event("track", context={"traits": _nested(7)})),
        400,
        "batch[1]: nesting deeper than 8 levels",
    ),
    "json-inside-a-string-nesting-too-deep": Bad(
        "/v1/track",
        json_body(event("track", properties={"blob": "[" * 300 + '"' + CANARY + '"' + "]" * 300})),
        400,
        "event nests too deeply (counting JSON inside strings)",
    ),
    "too-many-events": Bad(
        "/v1/batch",
        _batch(*[event(properties={"n": CANARY})] * 51),
        413,
        "batch: 51 events (limit 50)",
    ),
    "event-over-max-event-bytes": Bad(
        "/v1/track",
        ONE_EVENT_TOO_BIG,
        413,
        f"body too large: {len(ONE_EVENT_TOO_BIG)} bytes (limit 4096)",
    ),
    "batch-item-over-max-event-bytes": Bad(
        "/v1/batch",
        _batch(event(), BIG_ITEM),
        413,
        f"batch[1]: {len(json_body(BIG_ITEM))} bytes (limit 4096)",
    ),
    "batch-over-max-batch-bytes": Bad(
        "/v1/batch",
        BATCH_TOO_BIG,
        413,
        f"body too large: {len(BATCH_TOO_BIG)} bytes (limit 16384)",
    ),
    "chunked-batch-over-max-batch-bytes": Bad(
        "/v1/batch", BATCH_TOO_BIG, 413, "body too large: more than 16384 bytes", chunked=True
    ),
    "chunked-event-over-max-event-bytes": Bad(
        "/v1/track", ONE_EVENT_TOO_BIG, 413, "body too large: more than 4096 bytes", chunked=True
    ),
    "gzip-bomb": Bad(
        "/v1/batch",
        gzip_bomb(10_000_000),
        413,
        "body too large once decompressed",
        headers={"content-encoding": "gzip"},
    ),
    "gzip-inflating-past-the-event-limit": Bad(
        "/v1/track",
        gzip.compress(ONE_EVENT_TOO_BIG),
        413,
        "body too large once decompressed",
        headers={"content-encoding": "gzip"},
    ),
    "gzip-corrupt": Bad(
        "/v1/track",
        _gzip_corrupt(),
        400,
        "gzip body is corrupt",
        headers={"content-encoding": "gzip"},
    ),
    "gzip-truncated": Bad(
        "/v1/track",
        gzip.compress(_track())[:-10],
        400,
        "gzip body is truncated or corrupt",
        headers={"content-encoding": "gzip"},
    ),
    "gzip-header-on-a-plain-body": Bad(
        "/v1/track", _track(), 400, "gzip body is corrupt", headers={"content-encoding": "gzip"}
    ),
    "gzip-with-trailing-data": Bad(
        "/v1/track",
        gzip.compress(_track()) + CANARY.encode(),
        400,
        "gzip body has data after the end of the compressed stream",
        headers={"content-encoding": "gzip"},
    ),
    "form-content-type": Bad(
        "/v1/track",
        _track(),
        415,
        "unsupported content type: send JSON as application/json or text/plain",
        headers={"content-type": "application/x-www-form-urlencoded"},
    ),
    "multipart-content-type": Bad(
        "/v1/batch",
        _batch(event()),
        415,
        "unsupported content type: send JSON as application/json or text/plain",
        headers={"content-type": "multipart/form-data; boundary=x"},
    ),
    "brotli-content-encoding": Bad(
        "/v1/track",
        _track(),
        415,
        'unsupported content encoding "br": use gzip or none',
        headers={"content-encoding": "br"},
    ),
    "deflate-content-encoding": Bad(
        "/v1/track",
        _track(),
        415,
        'unsupported content encoding "deflate": use gzip or none',
        headers={"content-encoding": "deflate"},
    ),
    "unknown-write-key": Bad(
        "/v1/track",
        _track(),
        401,
        "unknown write key",
        headers=basic("no-such-key-" + CANARY),
    ),
    "unknown-body-write-key": Bad(
        "/v1/track",
        json_body({**event("track"), "writeKey": CANARY}),
        401,
        "unknown write key",
        headers={"authorization": ""},
    ),
    "missing-write-key": Bad(
        "/v1/track",
        _track(),
        401,
        "missing write key: use HTTP Basic auth or writeKey in the body",
        headers={"authorization": ""},
    ),
    "malformed-basic-auth": Bad(
        "/v1/track",
        _track(),
        401,
        "malformed Basic authorization header",
        headers={"authorization": "Basic " + CANARY + "!"},
    ),
    "origin-not-allowed": Bad(
        "/v1/track",
        _track(),
        403,
        "origin not allowed for this write key",
        headers={"origin": "https://evil.example"},
    ),
    "browser-origin-with-a-server-key": Bad(
        "/v1/track",
        _track(),
        403,
        "this write key belongs to a server source, not a web one",
        headers={**basic(SERVER_KEY), "origin": WEB_ORIGIN},
    ),
}
