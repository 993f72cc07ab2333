"""The HTTP edge in-process (the ASGI app with its lifespan, through Starlette's test
client): every endpoint, both auth styles, CORS, each bad-input class, and the metrics."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.ingest.routes import ENDPOINTS
from tests.ingest.helpers import (
    APP_KEY,
    BAD,
    CANARY,
    EVENT_TYPES,
    SERVER_KEY,
    WEB_KEY,
    WEB_ORIGIN,
    TestClient,
    basic,
    error_of,
    event,
    ingest_config,
    json_body,
)

JSON = {"content-type": "application/json"}
SINGLE = {f"/v1/{kind}": kind for kind in EVENT_TYPES} | {
    f"/v1/{kind[0]}": kind for kind in EVENT_TYPES
}


def test_the_route_table_is_the_documented_one() -> None:
    assert set(ENDPOINTS) == {*SINGLE, "/v1/batch", "/v1/b", "/v1/import"}


@pytest.mark.parametrize("path", sorted(SINGLE))
def test_each_single_event_endpoint_accepts_its_type(client: TestClient, path: str) -> None:
    body = event(SINGLE[path])
    del body["type"]  # implied by the endpoint, as Segment's libraries send it
    response = client.post(path, content=json_body(body), headers={**basic(WEB_KEY), **JSON})
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/b", "/v1/import"])
def test_batch_endpoints_accept_every_type(client: TestClient, path: str) -> None:
    batch = {"batch": [event(kind) for kind in EVENT_TYPES]}
    response = client.post(path, content=json_body(batch), headers={**basic(SERVER_KEY), **JSON})
    assert (response.status_code, response.json()) == (200, {"success": True})


@pytest.mark.parametrize("key", [WEB_KEY, SERVER_KEY, APP_KEY])
def test_write_key_in_basic_auth_username_with_empty_password(client: TestClient, key: str) -> None:
    response = client.post("/v1/track", content=json_body(event()), headers={**basic(key), **JSON})
    assert (response.status_code, response.json()) == (200, {"success": True})


def test_write_key_in_basic_auth_with_a_password_uses_the_username(client: TestClient) -> None:
    response = client.post("/v1/track", json=event(), auth=(WEB_KEY, "ignored"))
    assert response.status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=UTF-8", None])
def test_write_key_in_the_body_as_sendbeacon_sends_it(
    client: TestClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    body = json_body({**event(), "writeKey": WEB_KEY})
    response = client.post("/v1/track", content=body, headers=headers)
    assert (response.status_code, response.json()) == (200, {"success": True})


def test_write_key_in_a_batch_body(client: TestClient) -> None:
    body = json_body({"batch": [event(), event("page")], "writeKey": SERVER_KEY})
    response = client.post("/v1/batch", content=body, headers={"content-type": "text/plain"})
    assert response.status_code == 200


# --------------------------------------------------------------------------- CORS
def test_an_allowed_origin_gets_the_cors_grant(client: TestClient) -> None:
    headers = {**basic(WEB_KEY), **JSON, "origin": WEB_ORIGIN}
    response = client.post("/v1/track", content=json_body(event()), headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == WEB_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "https://shop.example.com.evil.example", "http://shop.example.com",
     "https://shop.example.com:8443", "null"],
)  # fmt: skip
def test_a_disallowed_origin_gets_no_grant_and_403(client: TestClient, origin: str) -> None:
    headers = {**basic(WEB_KEY), **JSON, "origin": origin}
    response = client.post("/v1/track", content=json_body(event()), headers=headers)
    assert response.status_code == 403
    assert response.json() == {"success": False, "error": "origin not allowed for this write key"}
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["vary"] == "Origin"


def test_preflight_for_an_allowed_origin(client: TestClient) -> None:
    response = client.options(
        "/v1/batch",
        headers={
            "origin": WEB_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == WEB_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "authorization", "content-encoding"} <= allowed
    assert response.headers["vary"] == "Origin"


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_preflight_for_a_denied_origin(client: TestClient, origin: str | None) -> None:
    headers = {"access-control-request-method": "POST"}
    if origin:
        headers["origin"] = origin
    response = client.options("/v1/track", headers=headers)
    assert response.status_code == 403
    assert not any(h.startswith("access-control-") for h in response.headers)
    assert response.headers["vary"] == "Origin"


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_refused_with_a_json_error_that_echoes_nothing(
    client: TestClient, name: str
) -> None:
    bad = BAD[name]
    response = client.post(bad.path, content=bad.content(), headers=bad.request_headers())
    status, body = error_of(response.status_code, response.text, response.content)
    assert (status, body) == (bad.status, {"success": False, "error": bad.error})
    assert response.headers["content-type"] == "application/json"


def test_gzip_bodies_are_accepted(client: TestClient) -> None:
    body = gzip.compress(json_body({"batch": [event(), event("identify")]}))
    headers = {**basic(WEB_KEY), **JSON, "content-encoding": "gzip"}
    response = client.post("/v1/batch", content=body, headers=headers)
    assert (response.status_code, response.json()) == (200, {"success": True})


def test_the_limits_count_the_inflated_size_not_the_compressed_one(client: TestClient) -> None:
    inflated = json_body(event(properties={"blob": "x" * 3900}))
    assert len(gzip.compress(inflated)) < 200 < 4096 < len(inflated) + 200
    headers = {**basic(WEB_KEY), **JSON, "content-encoding": "gzip"}
    response = client.post("/v1/track", content=gzip.compress(inflated), headers=headers)
    assert response.status_code == 200, response.text


def test_the_edge_still_answers_after_every_bad_input(client: TestClient) -> None:
    for bad in BAD.values():
        client.post(bad.path, content=bad.content(), headers=bad.request_headers())
    response = client.post("/v1/t", content=json_body(event()), headers={**basic(WEB_KEY), **JSON})
    assert (response.status_code, response.json()) == (200, {"success": True})


# ------------------------------------------------------------------------ metrics
def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_count_requests_rejections_and_latency(tmp_path: Path) -> None:
    directory = ingest_config(tmp_path / "metrics")
    with TestClient(create_app(directory, run_worker=False)) as fresh:
        auth = {**basic(WEB_KEY), **JSON}
        for _ in range(3):
            fresh.post("/v1/track", content=json_body(event()), headers=auth)
        fresh.post("/v1/batch", content=json_body({"batch": [event(), event()]}), headers=auth)
        fresh.post("/v1/track", content=b"{", headers=auth)
        fresh.post("/v1/track", content=json_body(event()), headers=basic("nope-nope-nope"))
        fresh.post("/v1/track", content=b"{}", headers={**auth, "content-type": "text/html"})
        fresh.post("/v1/p", content=BAD["batch-over-max-batch-bytes"].body, headers=auth)
        text = fresh.get("/metrics").text
    got = samples(text)

    def requests(endpoint: str, status: str) -> float:
        key = ("gateway_http_requests_total", (("endpoint", endpoint), ("status", status)))
        return got.get(key, 0.0)

    assert requests("/v1/track", "200") == 3
    assert requests("/v1/batch", "200") == 1
    assert requests("/v1/track", "400") == 1
    assert requests("/v1/track", "401") == 1
    assert requests("/v1/track", "415") == 1
    assert requests("/v1/p", "413") == 1
    rejected = {
        dict(labels)["reason"]: value
        for (name, labels), value in got.items()
        if name == "gateway_events_rejected_total"
    }
    assert rejected == {
        "bad_request": 1,
        "unauthorized": 1,
        "unsupported_media_type": 1,
        "too_large": 1,
    }
    assert got[("gateway_events_accepted_total", (("source", "web"),))] == 5
    latency = ("gateway_ingest_seconds_count", (("endpoint", "/v1/track"),))
    assert got[latency] == 6
    assert got[("gateway_ingest_seconds_bucket", (("endpoint", "/v1/track"), ("le", "+Inf")))] == 6
    assert CANARY not in text


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "policy_version": "2026-04-01"}


def test_an_accepted_event_is_in_the_outbox_before_the_200(tmp_path: Path) -> None:
    """200 means durable: with a webhook configured and no delivery worker, the payloads
    are committed to the SQLite outbox by the time the answer comes."""
    directory = ingest_config(tmp_path / "outbox", "https://hooks.example.net/in")
    app = create_app(directory, run_worker=False)
    with TestClient(app) as fresh:
        batch = json_body({"batch": [event(), event("identify"), event("page")]})
        response = fresh.post("/v1/batch", content=batch, headers={**basic(WEB_KEY), **JSON})
        assert response.status_code == 200
        assert fresh.portal is not None
        stats = fresh.portal.call(app.state.runtime.store.outbox.stats, ["hook"])
    assert stats["hook"].pending == 3


# ------------------------------------------------------------------- property test
KEYS = st.sampled_from(
    ["url", "path", "search", "ip", "userAgent", "lat", "gps", "email", "photo", "message",
     "contacts", "advertisingId", "adTrackingEnabled", "tcfString", "categoryPreferences",
     "page", "device", "consent", "location", "traits", "id", "type", "name"]
) | st.text(max_size=8)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20).map(lambda text: CANARY + text)
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)  # fmt: skip
CONTEXT = st.fixed_dictionaries(
    {}, optional={k: VALUES for k in ("page", "device", "os", "consent", "location", "traits")}
)
EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(EVENT_TYPES), "anonymousId": st.just("a"), "userId": st.just("u"),
     "event": st.just("e"), "groupId": st.just("g"), "previousId": st.just("p")},
    optional={"properties": st.dictionaries(KEYS, VALUES, max_size=5),
              "traits": st.dictionaries(KEYS, VALUES, max_size=5), "context": CONTEXT,
              "timestamp": st.text(max_size=30), "sentAt": st.text(max_size=30)},
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(EVENTS, min_size=1, max_size=3))
def test_arbitrary_events_never_crash_the_edge_nor_come_back(
    client: TestClient, batch: list[dict[str, object]]
) -> None:
    headers = {**basic(WEB_KEY), **JSON}
    response = client.post("/v1/batch", content=json_body({"batch": batch}), headers=headers)
    assert response.status_code in (200, 400, 413)
    assert CANARY.encode() not in response.content


def test_a_batch_that_repeats_a_message_id_keeps_the_first_copy(tmp_path: Path) -> None:
    """Regression: the repeat used to mark the id as a duplicate of itself, dropping every
    copy while answering 200."""
    from gateway.app import create_app
    from tests.ingest.helpers import TestClient
    from tests.support.configs import SERVER_KEY, write_config

    out = {"name": "out", "type": "file", "path": str(tmp_path / "out.jsonl"), "country": "JP",
           "role": "processor", "purposes": ["analytics"],
           "fields": ["event", "messageId"]}  # fmt: skip
    directory = write_config(tmp_path / "c", destinations=[out])

    batch = {
        "batch": [
            {"type": "track", "event": "A", "messageId": "dup-1", "anonymousId": "a"},
            {"type": "track", "event": "A again", "messageId": "dup-1", "anonymousId": "a"},
            {"type": "track", "event": "B", "messageId": "other-1", "anonymousId": "a"},
        ]
    }
    with TestClient(create_app(directory, run_worker=False)) as client:
        answer = client.post("/v1/batch", json=batch, auth=(SERVER_KEY, ""))
        assert answer.status_code == 200
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        claimed = client.portal.call(runtime.store.outbox.claim, "out", 10, 30)
    assert sorted(c.item.payload["messageId"] for c in claimed) == ["dup-1", "other-1"]
    assert [c.item.payload["event"] for c in claimed if c.item.message_id == "dup-1"] == ["A"]


def test_crafted_requests_get_4xx_not_500(tmp_path: Path) -> None:
    """Regressions from review: non-ASCII Basic credentials, a deep batch-level context."""
    from gateway.app import create_app
    from tests.ingest.helpers import TestClient
    from tests.support.configs import write_config

    directory = write_config(tmp_path / "c")
    deep: dict[str, object] = {}
    node = deep
    for _ in range(600):
        node["k"] = {}
        node = node["k"]  # type: ignore[assignment]
    with TestClient(create_app(directory, run_worker=False)) as client:
        basic = client.post(
            "/v1/track",
            content=b'{"type":"track","event":"x","anonymousId":"a"}',
            headers={"authorization": b"Basic \xc3\xa9\xc3\xa9", "content-type": b"text/plain"},
        )
        assert basic.status_code == 401
        batch = {"batch": [{"type": "track", "event": "x", "anonymousId": "a"}], "context": deep}
        answer = client.post("/v1/batch", json=batch, auth=("test-server-key-0001", ""))
        assert answer.status_code == 400
        assert "nesting deeper" in answer.json()["error"]


def test_an_event_the_policy_cannot_judge_is_refused_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A fault of ours while judging one event (injected here: the one that was real, a
    leading U+3000, is fixed) refuses that event only: nothing of it is stored, the rest of
    the batch goes on, the answer says how many were refused, and the log names the fault
    without the value that caused it."""
    import logging

    from gateway.destinations.file import FileDestination
    from gateway.observability.logs import JsonFormatter
    from tests.support.configs import SERVER_KEY, write_config

    wire = FileDestination.format

    def faulty(self: FileDestination, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("event") == "boom":  # routing calls it while the event is judged
            raise ValueError(f"cannot judge {CANARY}")
        return wire(self, event)

    monkeypatch.setattr(FileDestination, "format", faulty)
    out = {"name": "out", "type": "file", "path": str(tmp_path / "out.jsonl"), "country": "JP",
           "role": "processor", "purposes": ["analytics"],
           "fields": ["event", "messageId"]}  # fmt: skip
    directory = write_config(tmp_path / "c", destinations=[out])
    ok = {"type": "track", "event": "fine", "messageId": "m-ok", "anonymousId": "a"}
    boom = {"type": "track", "event": "boom", "messageId": "m-boom", "anonymousId": "a"}
    with TestClient(create_app(directory, run_worker=False)) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        with caplog.at_level(logging.ERROR, logger="gateway.intake"):
            mixed = client.post("/v1/batch", json={"batch": [ok, boom]}, auth=(SERVER_KEY, ""))
            alone = client.post("/v1/track", json=boom, auth=(SERVER_KEY, ""))
        claimed = client.portal.call(runtime.store.outbox.claim, "out", 10, 30)
        metrics = client.get("/metrics").text
    assert (mixed.status_code, mixed.json()) == (200, {"success": True, "refused": 1})
    assert alone.status_code == 500
    assert alone.json()["error"] == "the gateway could not judge the events; none was accepted"
    assert [c.item.message_id for c in claimed] == ["m-ok"]
    assert 'gateway_events_dropped_total{reason="internal_error"} 1.0' in metrics  # the batch
    assert 'gateway_events_rejected_total{reason="internal_error"} 1.0' in metrics  # the 500
    records = [r for r in caplog.records if r.name == "gateway.intake"]
    assert len(records) == 2
    assert all(r.exc_info is None for r in records)  # no traceback for other log configs
    formatted = "\n".join(JsonFormatter().format(r) for r in records) + caplog.text
    assert "ValueError at test_routes.py:" in formatted and CANARY not in formatted
