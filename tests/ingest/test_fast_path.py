"""The ingest paths answered before Starlette (gateway/app.py's GatewayApp, the plain ASGI
handlers of gateway/ingest/routes.py): where they could differ from what Starlette's
router, middleware and Request did — the root path, other methods, bodies in several
messages or cut short, a fault of ours — driven with raw ASGI messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette._utils import get_route_path

from gateway.app import GatewayApp, create_app, route_path
from gateway.intake.intake import Intake
from gateway.web.body import DISCONNECTED
from gateway.web.responses import INTERNAL_ERROR
from tests.ingest.helpers import (
    CANARY,
    SERVER_KEY,
    WEB_KEY,
    WEB_ORIGIN,
    TestClient,
    basic,
    event,
    ingest_config,
    json_body,
)


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    scope: dict[str, Any]

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    proxies = {"networks": ["10.0.0.0/8"]}
    directory = ingest_config(tmp_path_factory.mktemp("fast"), trusted_proxies=proxies)
    with TestClient(create_app(directory, run_worker=False)) as client:
        yield client


def call(
    gateway: TestClient,
    messages: list[dict[str, Any]],
    *,
    path: str = "/v1/track",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    **scope: Any,
) -> Answer:
    """One request straight into the app (no test client between): `messages` are what
    receive() returns, in turn."""
    fields = {**basic(WEB_KEY), "content-type": "application/json", **(headers or {})}
    full = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
        "headers": [(b"host", b"gateway.test")]
        + [(k.encode(), v.encode()) for k, v in fields.items()],
        **scope,
    }  # fmt: skip
    sent: list[dict[str, Any]] = []
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        message = pending.pop(0) if pending else {"type": "http.disconnect"}
        if message["type"] == "hang":  # a client that stops sending
            await asyncio.Event().wait()
        return message

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        await gateway.app(full, receive, send)

    assert gateway.portal is not None
    gateway.portal.call(run)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(start["status"], list(start.get("headers", [])), body, full)


def whole(body: bytes) -> list[dict[str, Any]]:
    return [{"type": "http.request", "body": body, "more_body": False}]


def pieces(body: bytes, size: int = 7) -> list[dict[str, Any]]:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return [{"type": "http.request", "body": p, "more_body": True} for p in parts] + [
        {"type": "http.request", "body": b"", "more_body": False}
    ]


def metric(client: TestClient, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_a_post_to_an_ingest_path_skips_starlettes_router(gateway: TestClient) -> None:
    answer = call(gateway, whole(json_body(event())))
    assert (answer.status, orjson.loads(answer.body)) == (200, {"success": True})
    assert answer.header(b"content-type") == b"application/json"
    assert answer.header(b"content-length") == str(len(answer.body)).encode()
    assert "router" not in answer.scope  # Starlette's router sets it on every request it sees
    assert answer.scope["app"] is gateway.app


def test_the_fast_handlers_are_the_routes_handlers(gateway: TestClient) -> None:
    app = gateway.app
    assert isinstance(app, GatewayApp)
    endpoints = {id(getattr(route, "endpoint", None)) for route in app.routes}
    assert all(id(h) in endpoints for by in app.fast.values() for h in by.values())


@pytest.mark.parametrize(
    ("path", "root_path"),
    [("/gw/v1/track", "/gw"), ("/v1/track", "/gw"), ("/a/b/v1/t", "/a/b")],
)
def test_a_proxys_root_path_is_honoured_as_starlette_does(
    gateway: TestClient, path: str, root_path: str
) -> None:
    before = metric(gateway, "gateway_http_requests_total", endpoint="/v1/track", status="200")
    before_t = metric(gateway, "gateway_http_requests_total", endpoint="/v1/t", status="200")
    answer = call(gateway, whole(json_body(event())), path=path, root_path=root_path)
    assert answer.status == 200, answer.body
    after = metric(gateway, "gateway_http_requests_total", endpoint="/v1/track", status="200")
    after_t = metric(gateway, "gateway_http_requests_total", endpoint="/v1/t", status="200")
    assert (after - before) + (after_t - before_t) == 1  # labelled by the route, not the URL


@pytest.mark.parametrize(
    ("path", "root_path"), [("/gw/v1/track", ""), ("/gwx/v1/track", "/gw"), ("/v1/track/x", "")]
)
def test_a_path_that_is_not_an_ingest_path_once_the_root_is_removed_is_404(
    gateway: TestClient, path: str, root_path: str
) -> None:
    answer = call(gateway, whole(json_body(event())), path=path, root_path=root_path)
    assert answer.status == 404


@pytest.mark.parametrize(
    ("path", "root_path"),
    [("/gw/v1/track", "/gw"), ("/v1/track", "/gw"), ("/gw", "/gw"), ("/gwx/v1", "/gw"),
     ("/v1/track", ""), ("/", "/"), ("//v1/track", "/"), ("/gw/", "/gw")],
)  # fmt: skip
def test_route_path_is_starlettes(path: str, root_path: str) -> None:
    scope = {"type": "http", "path": path, "root_path": root_path}
    assert route_path(scope) == get_route_path(scope)


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_other_methods_on_an_ingest_path_get_starlettes_405(
    gateway: TestClient, method: str
) -> None:
    answer = call(gateway, whole(b""), method=method)
    assert answer.status == 405
    assert answer.header(b"allow") == b"POST"


def test_a_trailing_slash_is_redirected_by_starlette_as_before(gateway: TestClient) -> None:
    answer = call(gateway, whole(json_body(event())), path="/v1/track/")
    assert answer.status == 307
    assert answer.header(b"location") == b"http://gateway.test/v1/track"


def test_a_body_in_several_messages_without_a_content_length(gateway: TestClient) -> None:
    answer = call(gateway, pieces(json_body(event())))
    assert (answer.status, orjson.loads(answer.body)) == (200, {"success": True})


def test_a_body_in_several_messages_is_counted_against_the_limit(gateway: TestClient) -> None:
    big = json_body(event(properties={"blob": CANARY + "x" * 5000}))
    answer = call(gateway, pieces(big, 1024))
    assert answer.status == 413
    assert orjson.loads(answer.body)["error"] == "body too large: more than 4096 bytes"


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    gateway: TestClient,
) -> None:
    messages = pieces(b"x" * 5000, 1024)
    answer = call(gateway, messages, headers={"content-length": "5000"})
    assert answer.status == 413
    assert orjson.loads(answer.body)["error"] == "body too large: 5000 bytes (limit 4096)"
    assert len(messages) == 6  # receive() was never called


def test_a_client_disconnecting_mid_body_gets_400_and_is_counted(gateway: TestClient) -> None:
    before = metric(gateway, "gateway_events_rejected_total", reason="bad_request")
    cut = [{"type": "http.request", "body": b'{"event":', "more_body": True}]
    answer = call(gateway, cut, headers={"content-length": "900"})
    assert (answer.status, orjson.loads(answer.body)["error"]) == (400, DISCONNECTED)
    assert metric(gateway, "gateway_events_rejected_total", reason="bad_request") == before + 1


def test_a_body_that_stops_coming_gets_408_and_the_edge_goes_on(
    gateway: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gateway.web.body.BODY_TIMEOUT", 0.2)
    slow = [{"type": "http.request", "body": b'{"event":', "more_body": True}, {"type": "hang"}]
    answer = call(gateway, slow, headers={"content-length": "900"})
    assert answer.status == 408
    assert orjson.loads(answer.body)["error"] == "body not received within 0.2 s"
    assert call(gateway, whole(json_body(event()))).status == 200


def test_the_cors_grant_and_preflight(gateway: TestClient) -> None:
    answer = call(gateway, whole(json_body(event())), headers={"origin": WEB_ORIGIN})
    assert answer.status == 200
    assert answer.header(b"access-control-allow-origin") == WEB_ORIGIN.encode()
    assert answer.header(b"access-control-allow-credentials") == b"true"
    assert answer.header(b"vary") == b"Origin"
    granted = call(gateway, [], method="OPTIONS", headers={"origin": WEB_ORIGIN})
    assert (granted.status, granted.header(b"content-length")) == (204, None)
    assert granted.header(b"access-control-allow-methods") == b"GET, POST, PUT, OPTIONS"
    denied = call(gateway, [], method="OPTIONS", headers={"origin": "https://evil.example"})
    assert (denied.status, denied.header(b"content-length")) == (403, b"0")
    assert denied.header(b"access-control-allow-origin") is None


@pytest.mark.parametrize(
    ("peer", "proto", "secure"),
    [("10.1.2.3", "https", True), ("10.1.2.3", "http", False), ("192.0.2.9", "https", False)],
)
def test_the_subject_cookie_is_secure_behind_a_trusted_tls_proxy(
    gateway: TestClient, peer: str, proto: str, secure: bool
) -> None:
    body = json_body(event(anonymousId=f"anon-{peer}-{proto}"))
    headers = {"x-forwarded-proto": proto, "x-forwarded-for": "198.51.100.7"}
    answer = call(gateway, whole(body), headers=headers, client=(peer, 40000))
    assert answer.status == 200
    cookie = answer.header(b"set-cookie")
    assert cookie is not None and cookie.startswith(b"gw_sid=")
    assert (b"; Secure" in cookie) is secure
    assert answer.header(b"gateway-subject") is not None


def test_a_server_source_gets_no_subject_token(gateway: TestClient) -> None:
    headers = basic(SERVER_KEY)
    answer = call(gateway, whole(json_body(event(anonymousId="srv-1"))), headers=headers)
    assert answer.status == 200
    assert answer.header(b"set-cookie") is None and answer.header(b"gateway-subject") is None


def test_a_fault_inside_the_intake_is_a_json_500_and_the_edge_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    take = Intake.take

    async def faulty(self: Intake, document: Any, *args: Any) -> Any:
        if isinstance(document, dict) and document.get("event") == "boom":
            raise ValueError(f"cannot take {CANARY}")
        return await take(self, document, *args)

    monkeypatch.setattr(Intake, "take", faulty)
    with TestClient(create_app(ingest_config(tmp_path / "c"), run_worker=False)) as client:
        with caplog.at_level(logging.ERROR, logger="gateway.ingest"):
            failed = call(client, whole(json_body(event(event="boom"))))
        good = call(client, whole(json_body(event())))
        text = client.get("/metrics").text
    assert failed.status == 500
    assert orjson.loads(failed.body) == {"success": False, "error": INTERNAL_ERROR}
    assert failed.header(b"content-type") == b"application/json"
    assert good.status == 200
    assert 'gateway_http_requests_total{endpoint="/v1/track",status="500"} 1.0' in text
    assert 'gateway_events_rejected_total{reason="internal_error"} 1.0' in text
    [record] = [r for r in caplog.records if r.name == "gateway.ingest"]
    assert "ValueError at test_fast_path.py:" in record.getMessage()
    assert CANARY not in caplog.text and CANARY.encode() not in failed.body
