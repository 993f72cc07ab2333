"""`storage.min_replicas` on real redis-servers: the enqueue, a consent change and a
delivery's ledger records each wait for the replicas (WAIT on the connection that wrote),
and are refused with ReplicasBehind when too few confirm; min_replicas 0 never waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from gateway.config.schema import RedisStorage
from gateway.errors import ReplicasBehind
from gateway.store.redis import RedisStore
from gateway.store.types import ConsentChange, Dedupe, OutboxItem, ProvisionRecord
from tests.support.redis_server import RedisServer, replica_of, wait_synced
from tests.support.relay import Relay

pytestmark = pytest.mark.redis
T = TypeVar("T")


class Heard:
    def __init__(self) -> None:
        self.acks: list[float] = []
        self.refused: list[str] = []
        self.failovers = 0

    def replica_ack(self, seconds: float) -> None:
        self.acks.append(seconds)

    def too_few_replicas(self, write: str) -> None:
        self.refused.append(write)

    def failover(self) -> None:
        self.failovers += 1


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[RedisServer, Relay]]:
    """A master and a replica that replicates through a relay (to cut its stream)."""
    master = RedisServer(tmp_path / "master").start()
    relay = Relay(master.port)
    replica = replica_of(tmp_path / "replica", master, relay.port).start()
    wait_synced(replica)
    yield master, relay
    replica.stop()
    master.stop()
    relay.close()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def item(message_id: str) -> OutboxItem:
    return OutboxItem("hook", f"{message_id}:hook", message_id, "server", ("subject",),
                      {"event": "Viewed"}, {}, time.time())  # fmt: skip


def dedupe(message_id: str) -> Dedupe:
    return Dedupe([("server", message_id)], 3600)


async def connect(url: str, replicas: int, heard: Heard, timeout_ms: int = 1000) -> RedisStore:
    """`timeout_ms` is generous by default: a write that should be confirmed must not be
    refused because a loaded machine delayed the replica (CI once took over 100 ms)."""
    storage = RedisStorage(
        backend="redis", url=url, min_replicas=replicas, replica_timeout_ms=timeout_ms
    )
    return await RedisStore.connect(storage, observer=heard)


def grant(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "analytics": "denied"}


def logged(key: str, before: dict[str, Any], after: dict[str, Any]) -> ConsentChange:
    return ConsentChange(time.time(), key, before, after, "test", "v1")


def record() -> ProvisionRecord:
    return ProvisionRecord(
        delivered_at=time.time(), destination="hook", country="JP", purposes=("analytics",),
        categories=(), subject_key="subject", subject_keys=("subject",), message_id="m",
        idempotency_key="m:hook", policy_version="v1",
    )  # fmt: skip


def test_confirmed_writes_pass_and_cut_replication_refuses_each_kind(
    pair: tuple[RedisServer, Relay],
) -> None:
    master, relay = pair
    heard = Heard()

    async def scenario() -> None:
        store = await connect(master.url, 1, heard)
        try:
            assert await store.outbox.enqueue([item("m1")], dedupe("m1")) == set()
            await store.preferences.change(["subject"], grant, logged)
            claimed = await store.outbox.claim("hook", 10, 30)
            await store.outbox.delivered(claimed, [record()])
            assert len(heard.acks) == 3 and not heard.refused
            relay.hold()
            with pytest.raises(ReplicasBehind):
                await store.outbox.enqueue([item("m2")], dedupe("m2"))
            with pytest.raises(ReplicasBehind):
                await store.preferences.change(["subject"], grant, logged)
            claimed = await store.outbox.claim("hook", 10, 30)  # m2: the master has it
            assert [c.item.message_id for c in claimed] == ["m2"]
            with pytest.raises(ReplicasBehind):
                await store.outbox.delivered(claimed, [record()])
        finally:
            await store.aclose()

    run(scenario())
    assert heard.refused == ["enqueue", "consent", "ledger"]


def test_a_retry_on_another_node_is_refused_while_the_first_attempt_is_unconfirmed(
    pair: tuple[RedisServer, Relay],
) -> None:
    """The retry finds the first attempt's dedupe marker and writes no event; it still must
    not be acknowledged before the replicas have the first attempt's writes. (Redis
    documents WAIT as counting the writes of its own connection, hence ENQUEUE rewrites a
    duplicate's marker; redis-server 7.0 also makes a connection that wrote nothing wait
    for the master's latest offset, so there this passes without that rewrite too.)"""
    master, relay = pair
    heard = Heard()

    async def scenario() -> None:
        first, second = await connect(master.url, 1, heard), await connect(master.url, 1, heard)
        try:
            await second.outbox.enqueue([item("warm")])  # its connection has written before
            relay.hold()
            with pytest.raises(ReplicasBehind):
                await first.outbox.enqueue([item("m1")], dedupe("m1"))
            with pytest.raises(ReplicasBehind):
                await second.outbox.enqueue([item("m1")], dedupe("m1"))
        finally:
            await first.aclose()
            await second.aclose()

    run(scenario())
    assert heard.refused == ["enqueue", "enqueue"]


def test_min_replicas_0_never_waits(tmp_path: Path) -> None:
    master = RedisServer(tmp_path / "alone").start()
    heard = Heard()

    async def scenario() -> None:
        store = await connect(master.url, 0, heard)
        try:
            await store.outbox.enqueue([item("m1")], dedupe("m1"))
            await store.preferences.change(["subject"], grant, logged)
        finally:
            await store.aclose()

    try:
        run(scenario())
    finally:
        master.stop()
    assert heard.acks == [] and heard.refused == []


def test_without_any_replica_min_replicas_1_refuses(tmp_path: Path) -> None:
    master = RedisServer(tmp_path / "alone").start()
    heard = Heard()

    async def scenario() -> None:
        store = await connect(master.url, 1, heard, timeout_ms=100)
        try:
            with pytest.raises(ReplicasBehind):
                await store.outbox.enqueue([item("m1")], dedupe("m1"))
        finally:
            await store.aclose()

    try:
        run(scenario())
    finally:
        master.stop()
    assert heard.refused == ["enqueue"]
