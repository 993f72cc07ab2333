"""Segment-compatible forward against a real HTTP receiver on 127.0.0.1: POST /v1/batch with
the write key as Basic auth, the projected events as the batch, messageIds for dedup,
requests kept under Segment's 500 KB batch limit, the status rules, and the write key kept
out of errors and logs."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from gateway.config.schema import PolicyFile
from gateway.destinations.base import Outgoing
from gateway.destinations.network import build_client
from gateway.destinations.segment import SegmentConfig, SegmentDestination
from gateway.errors import ConfigError, FatalDelivery, RetryableDelivery
from gateway.route.router import Router, idempotency_key
from tests.destinations.test_ga4 import GRANTED, assert_no_secret, closed_port
from tests.support.receiver import Answer, Receiver

WRITE_KEY = "seg-write-key-4Kd92LmQ"


def segment_config(url: str = "https://api.segment.io", **extra: Any) -> SegmentConfig:
    values = {
        "name": "segment",
        "type": "segment",
        "url": url,
        "country": "US",
        "purposes": ["analytics"],
        "fields": ["type", "event", "userId", "anonymousId", "messageId", "properties.plan"],
        "secret_env": "SEGMENT_TEST_KEY",
        "allow_private_network": True,
        **extra,
    }
    return SegmentConfig.model_validate(values)


def outgoing(payload: dict[str, Any], message_id: str = "m-1") -> Outgoing:
    return Outgoing(idempotency_key(message_id, "segment"), payload)


def event(index: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Plan Changed",
        "userId": f"user-{index}",
        "messageId": f"m-{index}",
        "timestamp": "2026-11-20T10:00:00.000Z",
        "properties": {"plan": "gold", "card_last4": "4242"},
        "context": {"ip": "203.0.113.0", "traits": {"email": "ann@example.com"}},
        **extra,
    }



def base_url(receiver: Receiver) -> str:
    return f"http://127.0.0.1:{receiver.port}"


def forward(receiver: Receiver, client: httpx.AsyncClient, **extra: Any) -> SegmentDestination:
    return SegmentDestination(segment_config(base_url(receiver), **extra), client, WRITE_KEY)


def routed(destination: SegmentDestination, source: dict[str, Any]) -> dict[str, Any]:
    config = destination.config
    [verdict] = Router([config], {config.name: destination.format}, PolicyFile()).route(
        source, GRANTED
    )
    assert verdict.send and verdict.payload is not None, verdict.reason
    return verdict.payload


async def test_a_batch_is_one_post_with_basic_auth(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    config = segment_config(base_url(receiver) + "/")  # a trailing slash is fine
    destination = SegmentDestination(config, client, WRITE_KEY)
    payloads = [routed(destination, event(i)) for i in range(3)]
    before = datetime.now(UTC)
    await destination.send([outgoing(p, f"m-{i}") for i, p in enumerate(payloads)])
    [request] = receiver.requests
    assert request.path == "/v1/batch"
    assert request.headers["content-type"] == "application/json"
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert (scheme, base64.b64decode(token).decode()) == ("Basic", f"{WRITE_KEY}:")
    body = request.json()
    assert body["batch"] == [
        {
            "type": "track",
            "event": "Plan Changed",
            "userId": f"user-{i}",
            "messageId": f"m-{i}",
            "properties": {"plan": "gold"},
        }
        for i in range(3)
    ]
    sent_at = datetime.fromisoformat(body["sentAt"])
    assert body["sentAt"].endswith("Z")
    assert before.replace(microsecond=0) <= sent_at <= datetime.now(UTC)


async def test_the_idempotency_key_stands_in_for_a_missing_message_id(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    fields = ["type", "event", "userId"]
    destination = forward(receiver, client, fields=fields)
    payload = routed(destination, event())
    assert "messageId" not in payload
    item = outgoing(payload)
    await destination.send([item])
    await destination.send([item])  # a retry: same messageId, Segment drops the duplicate
    first, second = (r.json()["batch"][0] for r in receiver.requests)
    assert first == second == {**payload, "messageId": item.idempotency_key}
    assert "messageId" not in payload  # the stored payload is not changed


async def test_requests_stay_under_segments_batch_limit(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    destination = forward(receiver, client)
    big = [{"type": "track", "userId": "u", "properties": {"blob": "x" * 30_000}}] * 40
    items = [outgoing({**p, "messageId": f"m-{i}"}) for i, p in enumerate(big)]
    await destination.send(items)
    assert len(receiver.requests) == 3
    assert all(len(r.body) < 450 * 1024 for r in receiver.requests)
    ids = [e["messageId"] for r in receiver.requests for e in r.json()["batch"]]
    assert ids == [f"m-{i}" for i in range(40)]
    assert destination.max_batch == 100


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(500), RetryableDelivery),
        (Answer(429, {"retry-after": "3"}), RetryableDelivery),
        (Answer(close=True), RetryableDelivery),
        (Answer(400), FatalDelivery),
        (Answer(401), FatalDelivery),
    ],
)
async def test_answers_map_onto_the_retry_rules(
    receiver: Receiver, client: httpx.AsyncClient, answer: Answer, error: type[Exception]
) -> None:
    receiver.script(answer)
    with pytest.raises(error) as caught:
        await forward(receiver, client).send([outgoing(event())])
    if answer.headers.get("retry-after"):
        assert isinstance(caught.value, RetryableDelivery)
        assert caught.value.retry_after == 3.0
    assert_no_secret(caught.value, WRITE_KEY)
    assert_no_secret(caught.value, base64.b64encode(f"{WRITE_KEY}:".encode()).decode())


async def test_a_failed_later_request_fails_the_send(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    receiver.script(Answer(200), Answer(503))
    big = {"type": "track", "userId": "u", "properties": {"blob": "x" * 300_000}}
    with pytest.raises(RetryableDelivery):
        await forward(receiver, client).send([outgoing(big, "a"), outgoing(big, "b")])
    assert len(receiver.requests) == 2


async def test_the_write_key_never_appears_in_errors_or_logs(
    receiver_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = receiver_factory()
    caplog.set_level(logging.DEBUG)
    short = build_client(guarded=False, timeout=0.3, max_connections=2)
    encoded = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    refused = SegmentConfig.model_validate(
        {**segment_config().model_dump(), "url": f"http://127.0.0.1:{closed_port()}"}
    )
    targets = [forward(receiver, short)] * 4 + [SegmentDestination(refused, short, WRITE_KEY)]
    receiver.script(Answer(200), Answer(502), Answer(403), Answer(hang=0.6))
    failures: list[BaseException] = []
    try:
        for destination in targets:
            try:
                await destination.send([outgoing(event())])
            except (RetryableDelivery, FatalDelivery) as exc:
                failures.append(exc)
    finally:
        await short.aclose()
    assert len(failures) == 4
    for failure in failures:
        assert_no_secret(failure, WRITE_KEY)
        assert_no_secret(failure, encoded)
    assert WRITE_KEY not in caplog.text and encoded not in caplog.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"secret_env": None}, "secret_env\n.*is required: the environment variable"),
        ({"allow_private_network": False, "url": "http://collector.example.net"}, "https"),
        ({"fields": ["event", "userId"]}, "fields\n.*must include type"),
        ({"fields": ["type", "event"]}, "fields\n.*must include userId or anonymousId"),
        ({"write_key": "typed-into-yaml"}, "write_key"),
        ({"url": "collector.example.net"}, "http"),
    ],
)
def test_config_errors(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        segment_config(**change)


def test_the_default_url_and_wildcard_fields() -> None:
    config = segment_config(allow_private_network=False, fields=["**"])
    assert config.endpoint() == "https://api.segment.io"


async def test_the_registry_reads_the_write_key_from_the_environment(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from gateway.destinations.registry import HttpClients, build_destinations, read_config
    from tests.support.configs import write_config

    item = segment_config(base_url(receiver)).model_dump(exclude_defaults=True)
    directory = write_config(tmp_path / "cfg", destinations=[item])
    monkeypatch.setenv("SEGMENT_TEST_KEY", WRITE_KEY)
    config = read_config(directory)
    clients = HttpClients.create(timeout=1.0)
    try:
        destination = build_destinations(config, clients)["segment"]
        assert isinstance(destination, SegmentDestination)
        await destination.send([outgoing(event())])
        monkeypatch.delenv("SEGMENT_TEST_KEY")
        with pytest.raises(ConfigError, match="SEGMENT_TEST_KEY") as caught:
            build_destinations(config, clients)
        assert WRITE_KEY not in str(caught.value)
    finally:
        await clients.aclose()
    token = receiver.requests[0].headers["authorization"].removeprefix("Basic ")
    assert base64.b64decode(token).decode() == f"{WRITE_KEY}:"
