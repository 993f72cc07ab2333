"""Webhook adapter against a real HTTP receiver on 127.0.0.1: JSON body, Standard Webhooks
headers, signatures checked with an independent implementation, batches, the status rules,
no redirects, no proxy from the environment."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import socket
import threading
import time
from typing import Any

import httpx
import orjson
import pytest

from gateway.config.schema import DestinationConfig
from gateway.destinations.base import Outgoing
from gateway.destinations.network import build_client
from gateway.destinations.registry import HttpClients, build_destinations
from gateway.destinations.webhook import WebhookConfig, WebhookDestination
from gateway.errors import FatalDelivery, RetryableDelivery
from tests.support.receiver import Answer, Received, Receiver

SECRET_BYTES = b"\x01\x02 a raw signing key \xfe\xff"
WHSEC = "whsec_" + base64.b64encode(SECRET_BYTES).decode()


def verify(request: Received, secret: bytes, tolerance: float = 300) -> bool:
    """Standard Webhooks verification, written from the spec: HMAC-SHA256 over
    "{webhook-id}.{webhook-timestamp}.{body}", base64, in a space-separated list of
    "v1,<sig>" entries, with a timestamp near now."""
    msg_id = request.headers["webhook-id"]
    timestamp = request.headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + request.body
    expected = base64.b64encode(hmac.new(secret, content, hashlib.sha256).digest()).decode()
    for entry in request.headers["webhook-signature"].split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


def config(url: str, **extra: Any) -> WebhookConfig:
    values = {
        "name": "hook",
        "type": "webhook",
        "url": url,
        "country": "JP",
        "purposes": ["analytics"],
        "fields": ["event"],
        "allow_private_network": True,
        **extra,
    }
    return WebhookConfig.model_validate(values)



ITEM = Outgoing("msg_0123456789abcdef0123456789abcdef", {"event": "Signed Up", "n": 1})


async def test_one_event_is_one_json_post_with_webhook_headers(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    hook = WebhookDestination(config(receiver.url, headers={"x-team": "growth"}), client, None)
    await hook.send([ITEM])
    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.json() == ITEM.payload
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == headers["idempotency-key"] == ITEM.idempotency_key
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5
    assert headers["x-team"] == "growth"
    assert headers["user-agent"] == "consent-gateway/0.1"
    assert "webhook-signature" not in headers


@pytest.mark.parametrize(
    ("secret", "key"), [("plain-shared-secret", b"plain-shared-secret"), (WHSEC, SECRET_BYTES)]
)
async def test_the_signature_verifies_independently(
    receiver: Receiver, client: httpx.AsyncClient, secret: str, key: bytes
) -> None:
    hook = WebhookDestination(config(receiver.url), client, secret)
    await hook.send([ITEM])
    [request] = receiver.requests
    assert request.headers["webhook-signature"].startswith("v1,")
    assert verify(request, key)
    assert not verify(request, key + b"x")
    tampered = Received(request.method, request.path, request.headers, request.body + b" ")
    assert not verify(tampered, key)


async def test_a_batch_is_one_request_with_a_stable_id(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    hook = WebhookDestination(config(receiver.url, batch_size=10), client, WHSEC)
    items = [Outgoing(f"msg_{i:032x}", {"event": "E", "i": i}) for i in range(3)]
    await hook.send(items)
    await hook.send(list(reversed(items)))
    first, second = receiver.requests
    assert first.json() == {"batch": [{"id": i.idempotency_key, "event": i.payload} for i in items]}
    assert first.headers["webhook-id"].startswith("batch_")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert verify(first, SECRET_BYTES) and verify(second, SECRET_BYTES)
    await hook.send(items[:2])
    assert receiver.requests[2].headers["webhook-id"] != first.headers["webhook-id"]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(500), RetryableDelivery),
        (Answer(503, {"retry-after": "3"}), RetryableDelivery),
        (Answer(429, {"retry-after": "2"}), RetryableDelivery),
        (Answer(408), RetryableDelivery),
        (Answer(close=True), RetryableDelivery),
        (Answer(hang=1.5), RetryableDelivery),
        (Answer(400), FatalDelivery),
        (Answer(410), FatalDelivery),
        (Answer(501), FatalDelivery),
        (Answer(302, {"location": "http://127.0.0.1:9/elsewhere"}), FatalDelivery),
    ],
)
async def test_answers_map_onto_the_retry_rules(
    receiver: Receiver, receiver_factory: Any, answer: Answer, error: type[Exception]
) -> None:
    # A hung handler records its request late: it gets a receiver of its own.
    target = receiver_factory() if answer.hang else receiver
    target.script(answer)
    short = build_client(guarded=False, timeout=0.5, max_connections=2)
    try:
        with pytest.raises(error) as caught:
            await WebhookDestination(config(target.url), short, None).send([ITEM])
    finally:
        await short.aclose()
    if answer.headers.get("retry-after"):
        assert isinstance(caught.value, RetryableDelivery)
        assert caught.value.retry_after == float(answer.headers["retry-after"])
    if answer.hang:
        assert "timed out" in str(caught.value)
    assert ITEM.payload["event"] not in str(caught.value)


async def test_redirects_are_not_followed(receiver_factory: Any, client: httpx.AsyncClient) -> None:
    target, redirecting = receiver_factory(), receiver_factory()
    redirecting.script(Answer(307, {"location": target.url}))
    with pytest.raises(FatalDelivery, match="307"):
        await WebhookDestination(config(redirecting.url), client, None).send([ITEM])
    assert target.requests == []


async def test_proxy_settings_in_the_environment_are_ignored(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    clients = HttpClients.create(timeout=1.0)
    try:
        await WebhookDestination(config(receiver.url), clients.private, None).send([ITEM])
    finally:
        await clients.aclose()
    assert len(receiver.requests) == 1


def test_the_webhook_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        config("ftp://collector.example.net/x")
    with pytest.raises(ValueError, match="http"):
        config("https:///no-host")


async def test_the_registry_signs_with_the_secret_from_the_environment(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("HOOK_SECRET", WHSEC)
    from gateway.destinations.registry import read_config
    from tests.support.configs import webhook, write_config

    directory = write_config(
        tmp_path / "cfg",
        destinations=[
            webhook("signed", receiver.url, secret_env="HOOK_SECRET"),
            webhook("public", "https://collector.example.net/x", allow_private_network=False),
        ],
    )
    clients = HttpClients.create(timeout=1.0)
    try:
        destinations = build_destinations(read_config(directory), clients)
        signed = destinations["signed"]
        await signed.send([ITEM])
        public_config: DestinationConfig = destinations["public"].config
        assert clients.for_config(public_config) is clients.public
        assert clients.for_config(signed.config) is clients.private
    finally:
        await clients.aclose()
    assert verify(receiver.requests[0], SECRET_BYTES)
    assert orjson.loads(receiver.requests[0].body) == ITEM.payload


class Trickle:
    """A server that answers 200 but sends its body a byte at a time: each read is quick,
    the whole answer slow (every read beats a per-read timeout)."""

    def __init__(self, body_bytes: int, interval: float) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"
        self._body_bytes, self._interval = body_bytes, interval
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self._listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(
                    f"HTTP/1.1 200 OK\r\ncontent-length: {self._body_bytes}\r\n\r\n".encode()
                )
                for _ in range(self._body_bytes):
                    time.sleep(self._interval)
                    conn.sendall(b" ")

    def close(self) -> None:
        self._listener.close()


async def test_the_timeout_bounds_a_whole_attempt() -> None:
    """Otherwise a vendor that trickles its answer holds the attempt past the outbox lease,
    and the payload is claimed and sent a second time while the first is still going."""
    trickle = Trickle(body_bytes=20, interval=0.1)
    short = build_client(guarded=False, timeout=0.5, max_connections=1)
    started = time.monotonic()
    try:
        with pytest.raises(RetryableDelivery, match="timed out"):
            await WebhookDestination(config(trickle.url), short, None).send([ITEM])
    finally:
        await short.aclose()
        trickle.close()
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"x-team": "日本"}, "printable ASCII"),
        ({"x-team": "a\r\nx-injected: 1"}, "printable ASCII"),
        ({"x-team": "trailing newline\n"}, "printable ASCII"),
        ({"bad name": "v"}, "not a valid HTTP header name"),
        ({"x-team:": "v"}, "not a valid HTTP header name"),
    ],
)
def test_custom_headers_must_be_sendable(headers: dict[str, str], problem: str) -> None:
    """Checked with the config: httpx would fail each attempt with a non-delivery error."""
    with pytest.raises(ValueError, match=problem):
        config("https://collector.example.net/x", headers=headers)
    assert config("https://collector.example.net/x", headers={"x-api": "v1 ok\t!"}).headers


@pytest.mark.parametrize(
    ("url", "problem"), [("http://[::1", "not a valid URL"), ("http://host:99999/", "port")]
)
def test_a_malformed_url_is_a_config_sentence_not_a_crash(
    url: str, problem: str, tmp_path: Any
) -> None:
    from gateway.destinations.registry import read_config
    from gateway.errors import ConfigError
    from tests.support.configs import webhook, write_config

    with pytest.raises(ValueError, match=problem):
        config(url)
    directory = write_config(tmp_path / "cfg", destinations=[webhook("broken", url)])
    with pytest.raises(ConfigError) as caught:
        read_config(directory)
    assert any("destinations.yaml" in p and "broken" in p for p in caught.value.problems)
