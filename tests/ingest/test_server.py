"""The HTTP edge through a real `python -m gateway serve` (uvicorn) on a free port: the
endpoints, both auth styles, CORS, every bad input over real sockets (chunked bodies
included), server-side fields as a webhook destination receives them, health and metrics."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.ingest.routes import ENDPOINTS
from tests.ingest.conftest import Live
from tests.ingest.helpers import (
    APP_KEY,
    BAD,
    SERVER_KEY,
    WEB_KEY,
    WEB_ORIGIN,
    basic,
    delivered,
    error_of,
    event,
    json_body,
)

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def http(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        yield client


def marker() -> str:
    return uuid.uuid4().hex


def received(live: Live, mark: str, count: int = 1) -> list[dict[str, Any]]:
    return delivered(live.receiver, mark, count)


def ms(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ---------------------------------------------------------------- health, endpoints
def test_health_readiness_and_metrics_answer(http: httpx.Client) -> None:
    assert (http.get("/healthz").status_code, http.get("/healthz").json()) == (
        200,
        {"status": "ok"},
    )
    ready = http.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    metrics = http.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "gateway_ingest_seconds" in metrics.text


@pytest.mark.parametrize("auth", ["basic", "body"])
@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_every_endpoint_with_both_auth_styles(http: httpx.Client, path: str, auth: str) -> None:
    kind = ENDPOINTS[path]
    document: dict[str, Any] = (
        {"batch": [event("track"), event("identify")]} if kind is None else event(kind)
    )
    headers = dict(JSON)
    if auth == "basic":
        headers.update(basic(WEB_KEY))
    else:
        document["writeKey"] = WEB_KEY
        headers["content-type"] = "text/plain"
    response = http.post(path, content=json_body(document), headers=headers)
    assert (response.status_code, response.json()) == (200, {"success": True})


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (basic("not-a-key-at-all"), 401),
        ({}, 401),
        ({"authorization": "Bearer " + WEB_KEY}, 401),
    ],
)
def test_unknown_or_missing_write_key(
    http: httpx.Client, headers: dict[str, str], status: int
) -> None:
    response = http.post("/v1/track", content=json_body(event()), headers={**JSON, **headers})
    assert response.status_code == status
    assert response.json()["success"] is False


def test_cors_over_http(http: httpx.Client) -> None:
    granted = http.post(
        "/v1/track",
        content=json_body(event()),
        headers={**JSON, **basic(WEB_KEY), "origin": WEB_ORIGIN},
    )
    assert granted.status_code == 200
    assert granted.headers["access-control-allow-origin"] == WEB_ORIGIN
    assert granted.headers["vary"] == "Origin"

    denied = http.post(
        "/v1/track",
        content=json_body(event()),
        headers={**JSON, **basic(WEB_KEY), "origin": "https://evil.example"},
    )
    assert denied.status_code == 403
    assert "access-control-allow-origin" not in denied.headers
    assert denied.headers["vary"] == "Origin"

    preflight = {"access-control-request-method": "POST"}
    ok = http.options("/v1/batch", headers={**preflight, "origin": WEB_ORIGIN})
    assert (ok.status_code, ok.headers["access-control-allow-origin"]) == (204, WEB_ORIGIN)
    refused = http.options("/v1/batch", headers={**preflight, "origin": "https://evil.example"})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_over_http(http: httpx.Client, name: str) -> None:
    bad = BAD[name]
    response = http.post(bad.path, content=bad.content(), headers=bad.request_headers())
    status, body = error_of(response.status_code, response.text, response.content)
    assert (status, body) == (bad.status, {"success": False, "error": bad.error})


def test_a_chunked_body_is_refused_while_it_is_still_being_sent(live: Live) -> None:
    """The limit is enforced while reading: the 413 arrives although the client has not
    finished (and never will finish) the body."""
    with socket.create_connection(("127.0.0.1", live.process.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/batch HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
            b"Authorization: " + basic(WEB_KEY)["authorization"].encode() + b"\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 4096
        for _ in range(5):  # 20 KiB of the 16 KiB limit; the body is never terminated
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = b""
        while b'"}' not in answer and (part := sock.recv(4096)):
            answer += part
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert answer.endswith(b'{"success":false,"error":"body too large: more than 16384 bytes"}')


def test_the_server_survives_every_bad_input(live: Live, http: httpx.Client) -> None:
    for bad in BAD.values():
        response = http.post(bad.path, content=bad.content(), headers=bad.request_headers())
        assert response.status_code == bad.status
    good = http.post("/v1/track", content=json_body(event()), headers={**JSON, **basic(WEB_KEY)})
    assert (good.status_code, good.json()) == (200, {"success": True})
    assert live.process.process is not None and live.process.process.poll() is None
    assert "Traceback" not in live.process.log()


# ------------------------------------------------------------------- server fields
def test_received_at_and_message_id_are_set_by_the_server(live: Live, http: httpx.Client) -> None:
    mark = marker()
    own_id = "client-" + mark
    before = datetime.now(UTC)
    batch = {
        "batch": [
            event(properties={"mark": mark, "n": 1}),
            event(properties={"mark": mark, "n": 2}, messageId=own_id),
        ]
    }
    response = http.post("/v1/batch", content=json_body(batch), headers={**JSON, **basic(WEB_KEY)})
    assert response.status_code == 200
    after = datetime.now(UTC)
    first, second = sorted(received(live, mark, 2), key=lambda e: e["properties"]["n"])
    generated = first["messageId"]
    assert generated.startswith("gw-") and uuid.UUID(generated.removeprefix("gw-"))
    assert second["messageId"] == own_id
    for got in (first, second):
        at = ms(got["receivedAt"])
        assert before - timedelta(milliseconds=1) <= at <= after
        assert got["timestamp"] == got["receivedAt"]  # no client timestamp
        assert "originalTimestamp" not in got


def test_timestamp_is_corrected_for_clock_skew_from_the_event_sent_at(
    live: Live, http: httpx.Client
) -> None:
    mark = marker()
    # The client's clock is a year behind; it sent the event 2.5 s after it happened.
    client_time = "2025-03-01T10:00:00.000Z"
    sent_at = "2025-03-01T10:00:02.500Z"
    one = event(properties={"mark": mark}, timestamp=client_time, sentAt=sent_at)
    response = http.post("/v1/track", content=json_body(one), headers={**JSON, **basic(APP_KEY)})
    assert response.status_code == 200
    (delivered,) = received(live, mark)
    # Segment: timestamp = receivedAt - (sentAt - timestamp), to the millisecond.
    assert ms(delivered["receivedAt"]) - ms(delivered["timestamp"]) == timedelta(seconds=2.5)
    assert delivered["originalTimestamp"] == client_time
    assert delivered["sentAt"] == sent_at


def test_timestamp_is_corrected_from_the_batch_sent_at(live: Live, http: httpx.Client) -> None:
    mark = marker()
    batch = {
        "sentAt": "2030-01-01T00:01:00.000Z",
        "batch": [
            event(properties={"mark": mark, "n": 1}, timestamp="2030-01-01T00:00:00.000Z"),
            event(
                properties={"mark": mark, "n": 2},
                timestamp="2030-01-01T00:00:00.000+09:00",
                sentAt="2030-01-01T00:00:00.250+09:00",  # the event's own sentAt wins
            ),
            event(properties={"mark": mark, "n": 3}, timestamp="2015-2-02T00:30:08.276Z"),
        ],
    }
    response = http.post("/v1/batch", content=json_body(batch), headers={**JSON, **basic(WEB_KEY)})
    assert response.status_code == 200
    first, second, third = sorted(received(live, mark, 3), key=lambda e: e["properties"]["n"])
    assert ms(first["receivedAt"]) - ms(first["timestamp"]) == timedelta(minutes=1)
    assert first["originalTimestamp"] == "2030-01-01T00:00:00.000Z"
    assert ms(second["receivedAt"]) - ms(second["timestamp"]) == timedelta(milliseconds=250)
    assert second["originalTimestamp"] == "2030-01-01T00:00:00.000+09:00"
    # An unparsable timestamp counts as absent: the event is kept, stamped when received.
    assert third["timestamp"] == third["receivedAt"]
    assert "originalTimestamp" not in third


@pytest.mark.parametrize(
    ("key", "ip"), [(WEB_KEY, "127.0.0.1"), (APP_KEY, "127.0.0.1"), (SERVER_KEY, None)]
)
def test_context_ip_comes_from_the_connection_except_for_server_sources(
    live: Live, http: httpx.Client, key: str, ip: str | None
) -> None:
    mark = marker()
    headers = {**JSON, **basic(key), "x-forwarded-for": "198.51.100.23"}  # no trusted proxy
    one = event(properties={"mark": mark})
    assert http.post("/v1/track", content=json_body(one), headers=headers).status_code == 200
    (delivered,) = received(live, mark)
    assert delivered.get("context", {}).get("ip") == ip


def test_a_server_source_may_pass_the_end_users_ip(live: Live, http: httpx.Client) -> None:
    mark = marker()
    one = event(properties={"mark": mark}, context={"ip": "8.8.4.4"})
    response = http.post("/v1/track", content=json_body(one), headers={**JSON, **basic(SERVER_KEY)})
    assert response.status_code == 200
    assert received(live, mark)[0]["context"]["ip"] == "8.8.4.4"


def test_batch_context_is_merged_into_every_item(live: Live, http: httpx.Client) -> None:
    mark = marker()
    batch = {
        "context": {"device": {"model": "iPhone7,2"}},
        "integrations": {"All": False},
        "batch": [
            event(properties={"mark": mark, "n": 1}),
            event(properties={"mark": mark, "n": 2}, context={"device": {"model": "Pixel 8"}}),
        ],
    }
    response = http.post("/v1/batch", content=json_body(batch), headers={**JSON, **basic(APP_KEY)})
    assert response.status_code == 200
    first, second = sorted(received(live, mark, 2), key=lambda e: e["properties"]["n"])
    assert first["context"]["device"] == {"model": "iPhone7,2"}
    assert second["context"]["device"] == {"model": "Pixel 8"}
    assert first["integrations"] == second["integrations"] == {"All": False}


def test_the_log_names_no_destination_url(live: Live, http: httpx.Client) -> None:
    """Destination URLs often hold a token (a webhook path, GA4's api_secret): the HTTP
    client's per-request log line must not write them out at the default level."""
    for _ in range(2):  # the first delivery's log line is written before the second is sent
        mark = marker()
        one = event(properties={"mark": mark})
        assert http.post("/v1/track", content=json_body(one), headers={**JSON, **basic(WEB_KEY)})
        received(live, mark)
    log = live.process.log()
    assert "Application startup complete" in log
    assert live.receiver.url not in log
    assert "/hook" not in log


def rejected(http: httpx.Client, reason: str) -> float:
    for family in text_string_to_metric_families(http.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "gateway_events_rejected_total" and sample.labels == {
                "reason": reason
            }:
                return sample.value
    return 0.0


@pytest.mark.parametrize(
    "framing", [b"Content-Length: 1000\r\n\r\n", b"Transfer-Encoding: chunked\r\n\r\n9\r\n"]
)
def test_a_client_disconnecting_mid_body_is_counted_not_logged_as_a_crash(
    live: Live, http: httpx.Client, framing: bytes
) -> None:
    before = rejected(http, "bad_request")
    with socket.create_connection(("127.0.0.1", live.process.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/track HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
            b"Authorization: "
            + basic(WEB_KEY)["authorization"].encode()
            + b"\r\n"
            + framing
            + b'{"event":'
        )
        time.sleep(0.1)
    deadline = time.monotonic() + 5
    while rejected(http, "bad_request") == before:
        assert time.monotonic() < deadline, "the cut-off request was not counted"
        time.sleep(0.02)
    assert "Traceback" not in live.process.log()
    good = http.post("/v1/track", content=json_body(event()), headers={**JSON, **basic(WEB_KEY)})
    assert good.status_code == 200
