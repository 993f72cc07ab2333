"""Under Redis the live debugger is one stream shared by the nodes: two real gateway
processes on one real redis-server, an event posted to one, seen in the other's debugger
and its event stream. A debugger that cannot write to Redis costs no request."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis

from gateway.config.schema import RedisStorage
from gateway.errors import StoreUnavailable
from gateway.store.redis import RedisStore
from gateway.store.redis.debugger import RedisDebugBuffer
from tests.console.stack import wait_until
from tests.support.configs import SERVER_KEY, write_config
from tests.support.processes import GatewayProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis
TOKEN = "shared-debugger-token-0001"
KEY_ENV = {"SHARED_DEBUGGER_KEY": "d" * 64}


def node_config(directory: Path, redis_url: str) -> Path:
    token = {
        "name": "marketing",
        "sha256": hashlib.sha256(TOKEN.encode()).hexdigest(),
        "scopes": ["debug:read", "reload"],
    }
    settings = {
        "storage": {"backend": "redis", "url": redis_url},
        "secrets": {"key_env": "SHARED_DEBUGGER_KEY"},
        "admin": {"tokens": [token]},
        "console": {"debugger": True, "debugger_events": 50, "debugger_seconds": 60},
    }
    return write_config(directory, gateway=settings)


@pytest.fixture
def nodes(tmp_path: Path, redis_url: str) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    directory = node_config(tmp_path / "config", redis_url)
    started = [
        GatewayProcess(directory, args=("--no-worker",), env=KEY_ENV).start() for _ in range(2)
    ]
    try:
        yield started[0], started[1]
    finally:
        for process in started:
            process.stop()


def post(node: GatewayProcess, message_id: str) -> int:
    event = {"type": "track", "event": "Shared", "messageId": message_id, "anonymousId": "n1"}
    return httpx.post(
        node.url + "/v1/track", json=event, auth=(SERVER_KEY, ""), timeout=10
    ).status_code


def recent_ids(node: GatewayProcess) -> list[str]:
    answer = httpx.get(
        node.url + "/admin/api/events/recent",
        headers={"authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return [e["messageId"] for e in answer.json()["events"]]


def test_an_event_taken_by_one_node_is_in_the_others_debugger_and_stream(
    nodes: tuple[GatewayProcess, GatewayProcess],
) -> None:
    a, b = nodes
    got: list[dict[str, Any]] = []
    opened = threading.Event()
    streamed = "shared-" + uuid.uuid4().hex[:12]

    def listen() -> None:
        headers = {"authorization": f"Bearer {TOKEN}"}
        with httpx.stream(
            "GET", b.url + "/admin/api/events/stream", headers=headers, timeout=10
        ) as answer:
            for line in answer.iter_lines():
                opened.set()
                if line.startswith("data: ") and orjson.loads(line[6:])["messageId"] == streamed:
                    got.append(orjson.loads(line[6:]))
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(5)
    time.sleep(0.3)  # b's reader is in XREAD
    first = "shared-" + uuid.uuid4().hex[:12]
    assert post(a, first) == 200
    assert wait_until(lambda: first in recent_ids(b))
    assert post(a, streamed) == 200
    listener.join(5)
    assert got, "b's stream did not carry the event a took"
    assert got[0]["source"] == "server"
    assert recent_ids(a)[:2] == recent_ids(b)[:2] == [streamed, first]


def test_the_shared_buffer_keeps_the_capacity_and_a_restarted_stream_catches_up(
    nodes: tuple[GatewayProcess, GatewayProcess],
) -> None:
    a, b = nodes
    sent = ["cap-" + uuid.uuid4().hex[:12] for _ in range(60)]
    for message_id in sent:
        assert post(a if len(message_id) % 2 else b, message_id) == 200
    assert wait_until(lambda: recent_ids(b)[:1] == sent[-1:])
    time.sleep(0.2)
    assert recent_ids(a) == recent_ids(b) == list(reversed(sent))[:50]  # debugger_events: 50
    answer = httpx.get(
        b.url + "/admin/api/events/recent",
        params={"limit": "2"},
        headers={"authorization": f"Bearer {TOKEN}"},
        timeout=10,
    ).json()
    third = answer["events"][1]
    # A browser reconnecting to the other node with the last id it saw gets what followed.
    headers = {"authorization": f"Bearer {TOKEN}", "last-event-id": third["id"]}
    with httpx.stream(
        "GET", a.url + "/admin/api/events/stream", headers=headers, timeout=10
    ) as stream:
        data = next(line for line in stream.iter_lines() if line.startswith("data: "))
    assert orjson.loads(data[6:])["messageId"] == sent[-1]


def test_switching_the_debugger_off_deletes_the_shared_stream(
    nodes: tuple[GatewayProcess, GatewayProcess], redis_url: str
) -> None:
    a, b = nodes
    assert post(b, "kept-" + uuid.uuid4().hex[:12]) == 200
    client = redis.Redis.from_url(redis_url)
    try:
        assert wait_until(lambda: client.exists("{cg}:debug"))
        settings = a.config_dir / "gateway.yaml"
        settings.write_text(settings.read_text().replace("debugger: true", "debugger: false"))
        reload = httpx.post(
            a.url + "/admin/reload", headers={"authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert reload.json()["reloaded"] is True
        assert wait_until(lambda: not client.exists("{cg}:debug"))
    finally:
        client.close()


def test_a_debugger_that_cannot_write_to_redis_costs_no_request(
    tmp_path: Path, redis_url: str
) -> None:
    # The stream's key holds a string: every XADD is refused while the store works.
    client = redis.Redis.from_url(redis_url)
    client.set("{cg}:debug", b"not a stream")
    directory = node_config(tmp_path / "config", redis_url)
    node = GatewayProcess(directory, args=("--no-worker",), env=KEY_ENV).start()
    try:
        for _ in range(20):
            started = time.monotonic()
            assert post(node, "refused-" + uuid.uuid4().hex[:12]) == 200
            assert time.monotonic() - started < 1.0
        assert wait_until(lambda: "shared Redis stream is unavailable" in node.log())
        time.sleep(0.3)
        assert node.log().count("shared Redis stream is unavailable") == 1
        assert "Traceback" not in node.log()
        client.delete("{cg}:debug")
        assert post(node, "back-" + uuid.uuid4().hex[:12]) == 200
        assert wait_until(lambda: "shared Redis stream is available again" in node.log())
        assert recent_ids(node)[0].startswith("back-")
    finally:
        node.stop()
        client.close()


async def test_with_redis_down_adding_neither_waits_nor_raises_and_is_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer(tmp_path / "redis").start()
    store = await RedisStore.connect(RedisStorage(backend="redis", url=server.url))
    buffer = RedisDebugBuffer(store)
    try:
        server.kill()
        with caplog.at_level(logging.WARNING, logger="gateway.debugger"):
            started = time.perf_counter()
            for n in range(200):
                buffer.add({"source": "web", "n": n}, capacity=50, lifetime=60)
                if n % 20 == 0:
                    await asyncio.sleep(0.05)  # the writer tries, and fails, meanwhile
            assert time.perf_counter() - started < 1.5
            await asyncio.sleep(0.5)
            server.start()
            buffer.add({"source": "web", "n": 999}, capacity=50, lifetime=60)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                buffer.add({"source": "web", "n": 1000}, capacity=50, lifetime=60)
                await asyncio.sleep(0.2)
                with contextlib.suppress(StoreUnavailable):  # a pooled connection of before
                    if [e["n"] for e in await buffer.recent(60, limit=1)] == [1000]:
                        break
        said = [r.getMessage() for r in caplog.records if r.name == "gateway.debugger"]
        assert len([m for m in said if "unavailable" in m]) == 1, said
        assert len([m for m in said if "available again" in m]) == 1, said
    finally:
        await buffer.aclose()
        await store.aclose()
        server.stop()
