"""Rate limits of a real `gateway serve` process: consent writes and token issuance per
device and per address, failed authentication (write keys, subject tokens, admin tokens),
events per source counted in events, the per-address check before the body is read, and
one budget shared by two nodes on Redis. Each test speaks from its own address (the
gateway trusts the loopback proxy's X-Forwarded-For)."""

from __future__ import annotations

import hashlib
import itertools
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.configs import SERVER_KEY, WEB_KEY, write_config
from tests.support.processes import GatewayProcess
from tests.support.redis_server import RedisServer

ADMIN = "admin-token-for-limits"
ADMIN_CONFIG = {
    "tokens": [
        {"name": "ops", "sha256": hashlib.sha256(ADMIN.encode()).hexdigest(), "scopes": ["explain"]}
    ]
}
PROXY = {"networks": ["127.0.0.1/32"]}
_addresses = itertools.count(1)


def new_address() -> dict[str, str]:
    n = next(_addresses)
    return {"x-forwarded-for": f"198.51.{n // 250}.{n % 250 + 1}"}


def gateway_settings(**rate_limits: Any) -> dict[str, Any]:
    return {"admin": ADMIN_CONFIG, "trusted_proxies": PROXY, "rate_limits": rate_limits}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """Default limits, except the ingest ones (off by default) and a small failure budget."""
    settings = gateway_settings(
        events_per_source={"rate": 1, "burst": 100},
        failed_auth_per_ip={"rate": 0.1, "burst": 5},
        consent_writes_per_ip={"rate": 0.1, "burst": 30},
        tokens_per_ip={"rate": 0.1, "burst": 40},
    )
    directory = write_config(tmp_path_factory.mktemp("limits"), gateway=settings)
    process = GatewayProcess(directory, args=("--no-worker",))
    try:
        yield process.start()
    finally:
        process.stop()


@pytest.fixture
def http(gateway: GatewayProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        yield client


def token_for(http: httpx.Client, address: dict[str, str]) -> str | None:
    body = {"type": "track", "event": "x", "anonymousId": str(uuid.uuid4())}
    response = http.post("/v1/track", json=body, auth=(WEB_KEY, ""), headers=address)
    assert response.status_code == 200
    return response.headers.get("gateway-subject")


def put_consent(http: httpx.Client, token: str, address: dict[str, str]) -> httpx.Response:
    body = {"purposes": {"advertising": False}}
    return http.put("/v1/consent", json=body, headers={"gateway-subject": token, **address})


def assert_429(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1


def test_consent_writes_are_limited_per_device_by_default(http: httpx.Client) -> None:
    address = new_address()
    token = token_for(http, address)
    assert token is not None
    codes = [put_consent(http, token, address).status_code for _ in range(25)]
    assert codes[:20] == [200] * 20  # default: a burst of 20, then one per 5 s
    assert_429(put_consent(http, token, address))


def test_consent_writes_are_limited_per_address(http: httpx.Client) -> None:
    address = new_address()
    tokens = [token_for(http, address) for _ in range(32)]
    codes = [put_consent(http, t, address).status_code for t in tokens if t is not None]
    assert codes[:30] == [200] * 30
    assert_429(put_consent(http, tokens[-1] or "", address))


def test_token_issuance_is_limited_per_address(http: httpx.Client) -> None:
    address = new_address()
    tokens = [token_for(http, address) for _ in range(40)]
    assert all(tokens)
    # Past the budget the event is still taken (200), without a token.
    assert token_for(http, address) is None
    http.cookies.clear()  # a visitor without a token: the page would mint one
    assert_429(http.get("/privacy/preferences", headers=address))


def test_unknown_write_keys_end_in_429(http: httpx.Client) -> None:
    address = new_address()
    body = {"type": "track", "event": "x", "anonymousId": "a"}
    codes = [
        http.post("/v1/track", json=body, auth=(f"guess-{i}", ""), headers=address).status_code
        for i in range(6)
    ]
    assert codes[:5] == [401] * 5
    assert_429(http.post("/v1/track", json=body, auth=("guess-x", ""), headers=address))


def test_subject_token_guesses_end_in_429(http: httpx.Client) -> None:
    address = new_address()
    for i in range(5):
        response = http.get("/v1/consent", headers={"gateway-subject": f"v1.{i}.bad", **address})
        assert response.status_code == 401
    # Refused before the token is checked: even a valid one waits.
    token = token_for(http, address) or ""
    assert_429(http.get("/v1/consent", headers={"gateway-subject": token, **address}))


def test_admin_token_guesses_end_in_429_even_for_the_right_token(http: httpx.Client) -> None:
    address = new_address()
    for i in range(5):
        auth = {"authorization": f"Bearer guess-{i}", **address}
        assert http.post("/admin/explain", content=b"{}", headers=auth).status_code == 401
    auth = {"authorization": f"Bearer {ADMIN}", **address}
    assert_429(http.post("/admin/explain", content=b"{}", headers=auth))


def test_events_per_source_count_events_not_requests(http: httpx.Client) -> None:
    batch = {"batch": [{"type": "track", "event": "x", "anonymousId": "a"} for _ in range(60)]}
    headers = new_address()
    assert (
        http.post("/v1/batch", json=batch, auth=(SERVER_KEY, ""), headers=headers).status_code
        == 200
    )
    assert_429(http.post("/v1/batch", json=batch, auth=(SERVER_KEY, ""), headers=headers))


def test_the_per_address_limit_answers_before_the_body(tmp_path: Path) -> None:
    settings = gateway_settings(per_ip={"rate": 0.1, "burst": 1})
    process = GatewayProcess(write_config(tmp_path, gateway=settings), args=("--no-worker",))
    try:
        process.start()
        head = (
            b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 20000\r\n\r\n"
        )
        statuses = []
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", process.port), timeout=1.5) as sock:
                sock.sendall(head)  # and never the body
                try:
                    statuses.append(sock.recv(100).split(b" ")[1])
                except TimeoutError:
                    statuses.append(b"no answer")
        assert statuses == [b"no answer", b"429"]
    finally:
        process.stop()


def test_two_nodes_on_redis_share_one_budget(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    nodes: list[GatewayProcess] = []
    try:
        settings = gateway_settings(failed_auth_per_ip={"rate": 0.1, "burst": 6})
        settings["storage"] = {"backend": "redis", "url": redis.url}
        settings["secrets"] = {"key_env": "LIMITS_TEST_KEY"}
        env = {"LIMITS_TEST_KEY": "k" * 64}
        for name in ("a", "b"):
            directory = write_config(tmp_path / name, gateway=settings)
            nodes.append(GatewayProcess(directory, args=("--no-worker",), env=env).start())
        body = {"type": "track", "event": "x", "anonymousId": "a"}
        codes = []
        for i in range(8):
            url = nodes[i % 2].url + "/v1/track"
            codes.append(httpx.post(url, json=body, auth=(f"guess-{i}", ""), timeout=5).status_code)
        assert codes == [401] * 6 + [429] * 2
    finally:
        for node in nodes:
            node.stop()
        redis.stop()
