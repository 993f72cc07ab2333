"""Smaller edge findings against a real `gateway serve` process: /metrics behind a bearer
token, the settings document naming the configured public URL (never the Host header),
a CSP on every HTML page, and /admin/explain reading its body under the limit, taking
gzip, and answering an unknown write key with 401."""

from __future__ import annotations

import gzip
import hashlib
import re
import socket
from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.support.configs import WEB_KEY, write_config
from tests.support.processes import GatewayProcess

TOKEN = "edge-admin-token-0001"
METRICS_ONLY = "edge-metrics-token-0001"
EVENT = {"type": "track", "event": "Viewed", "anonymousId": "a-1", "properties": {"plan": "x"}}


def _token(name: str, token: str, scopes: list[str]) -> dict[str, object]:
    return {"name": name, "sha256": hashlib.sha256(token.encode()).hexdigest(), "scopes": scopes}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    settings = {
        "server": {"public_url": "https://collect.example.com"},
        "demo": {"enabled": True},
        "admin": {
            "protect_metrics": True,
            "tokens": [
                _token("ops", TOKEN, ["explain"]),
                _token("prometheus", METRICS_ONLY, ["metrics"]),
            ],
        },
    }
    directory = write_config(tmp_path_factory.mktemp("pages"), gateway=settings)
    process = GatewayProcess(directory, args=("--no-worker",))
    try:
        yield process.start()
    finally:
        process.stop()


@pytest.fixture
def http(gateway: GatewayProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        yield client


def test_metrics_need_a_token_with_the_metrics_scope(http: httpx.Client) -> None:
    assert http.get("/metrics").status_code == 401
    assert http.get("/metrics", headers={"authorization": "Bearer nope"}).status_code == 401
    assert http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 403
    response = http.get("/metrics", headers={"authorization": f"Bearer {METRICS_ONLY}"})
    assert response.status_code == 200
    assert "gateway_" in response.text


def test_settings_name_the_public_url_not_the_host_header(http: httpx.Client) -> None:
    response = http.get(f"/v1/projects/{WEB_KEY}/settings", headers={"host": "evil.example"})
    assert response.status_code == 200
    integration = response.json()["integrations"]["Segment.io"]
    assert integration["apiHost"] == "collect.example.com/v1"
    assert "evil" not in response.text


@pytest.mark.parametrize("path", ["/", "/demo", "/privacy/preferences"])
def test_every_html_page_has_a_csp(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    # Every inline script and style carries the nonce; no style attributes.
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", response.text):
        assert 'src="' in tag or f'nonce="{nonce.group(1)}"' in tag, tag
    assert " style=" not in response.text


def _explain(http: httpx.Client, content: bytes, **headers: str) -> httpx.Response:
    return http.post(
        f"/admin/explain?write_key={WEB_KEY}",
        content=content,
        headers={"authorization": f"Bearer {TOKEN}", **headers},
    )


def test_explain_takes_a_gzip_body(http: httpx.Client) -> None:
    response = _explain(http, gzip.compress(orjson.dumps(EVENT)), **{"content-encoding": "gzip"})
    assert response.status_code == 200, response.text


def test_explain_answers_an_unknown_write_key_with_401(http: httpx.Client) -> None:
    response = http.post(
        "/admin/explain?write_key=not-a-key",
        content=orjson.dumps(EVENT),
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_explain_refuses_an_oversized_body_before_reading_it(gateway: GatewayProcess) -> None:
    head = (
        f"POST /admin/explain HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=3) as sock:
        sock.sendall(head + b"{" * 1024)
        answer = sock.recv(200)
    assert answer.split(b" ")[1] == b"413"
