"""Acknowledged means replicated (`storage.min_replicas`). A write that must survive a
failover (an enqueue, a consent change, a delivery's ledger records) is made on one pinned
connection and followed, on that same connection, by `WAIT min_replicas timeout`: WAIT
counts the replicas that hold this connection's writes, so asking on another connection
would count nothing of ours. Fewer acknowledgements than asked → ReplicasBehind (503).
On Redis Cluster the pinned connection goes to the master of the key's slot, so the shard
that took the write is the one asked.

With Sentinel, the pool asks the sentinels for the master on every new connection; a
changed answer is a failover, logged and counted."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from redis import exceptions as redis_errors
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.sentinel import SentinelConnectionPool

from gateway.errors import ReplicasBehind, StoreUnavailable
from gateway.store.types import ReplicationObserver

log = logging.getLogger("gateway.store")
ERRORS = (redis_errors.RedisError, redis_errors.RedisClusterException, OSError)


class OneConnection:
    """A connection pool holding one connection: what a pinned client needs of a pool."""

    def __init__(self, connection: Any, kwargs: dict[str, Any], encoder: Any) -> None:
        self.connection = connection
        self.connection_kwargs = kwargs
        self._encoder = encoder

    def get_encoder(self) -> Any:
        return self._encoder

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        return self.connection

    async def release(self, connection: Any) -> None:
        return None


class WatchedSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """The master's connections, found through the sentinels; callers beyond the pool size
    wait for a connection (as with a URL). `on_failover(old, new)` when the master moves."""

    def __init__(self, service_name: str, sentinel_manager: Any, **kwargs: Any) -> None:
        self.on_failover: Callable[[tuple[str, int], tuple[str, int]], None] = kwargs.pop(
            "on_failover", _unheard
        )
        super().__init__(service_name, sentinel_manager, **kwargs)  # type: ignore[no-untyped-call]

    async def get_master_address(self) -> Any:
        before = self.master_address
        address = await super().get_master_address()  # type: ignore[no-untyped-call]
        if before is not None and address != before:
            self.on_failover(before, address)
        return address


class Replication:
    def __init__(
        self, client: Any, min_replicas: int, timeout_ms: int, observer: ReplicationObserver
    ) -> None:
        self.client = client
        self.min_replicas = min_replicas
        self.timeout_ms = timeout_ms
        self.observer = observer
        self.cluster = not isinstance(client, Redis)

    def failover(self, old: tuple[str, int], new: tuple[str, int]) -> None:
        log.warning("redis: the master moved from %s:%s to %s:%s (failover)", *old, *new)
        self.observer.failover()

    @contextlib.asynccontextmanager
    async def session(self, write: str, key: str) -> AsyncIterator[Any]:
        """A client for the writes of one `write` kind ("enqueue", "consent", "ledger") to
        `key`'s master; leaving the block without an error waits for the replicas."""
        if self.min_replicas == 0:
            yield self.client
            return
        pin = self._pin_node(key) if self.cluster else self._pin_pool()
        async with pin as (client, connection):
            yield client
            await self._wait(write, connection)

    @contextlib.asynccontextmanager
    async def _pin_pool(self) -> AsyncIterator[tuple[Redis, Any]]:
        pool = self.client.connection_pool
        try:
            connection = await pool.get_connection()
        except ERRORS as exc:
            raise StoreUnavailable(f"Redis did not confirm ({type(exc).__name__})") from exc
        try:
            yield _pinned(connection, pool.connection_kwargs, pool.get_encoder()), connection
        except ReplicasBehind:
            raise  # the connection is fine, the replicas are late
        except BaseException:
            await connection.disconnect()  # a reply may be left unread on it
            raise
        finally:
            await pool.release(connection)

    @contextlib.asynccontextmanager
    async def _pin_node(self, key: str) -> AsyncIterator[tuple[Redis, Any]]:
        try:
            node = self.client.get_node_from_key(key)
            connection = node.acquire_connection()
        except ERRORS as exc:
            raise StoreUnavailable(f"Redis did not confirm ({type(exc).__name__})") from exc
        try:
            yield _pinned(connection, node.connection_kwargs, self.client.get_encoder()), connection
        except ReplicasBehind:
            raise
        except BaseException:
            await connection.disconnect()
            # The slot may have moved (a failover): the cluster client learns the new map.
            with contextlib.suppress(*ERRORS):
                await self.client.nodes_manager.initialize()
            raise
        finally:
            node.release(connection)

    async def _wait(self, write: str, connection: Any) -> None:
        if not connection.is_connected:
            # A reconnected connection has made none of our writes: WAIT would count nothing.
            raise StoreUnavailable("Redis: the connection that made the write was lost")
        started = time.perf_counter()
        try:
            await connection.send_command(
                "WAIT", self.min_replicas, self.timeout_ms, check_health=False
            )
            acks = int(await connection.read_response(timeout=self.timeout_ms / 1000 + 1.0))
        except ERRORS as exc:
            await connection.disconnect()
            raise StoreUnavailable(f"Redis did not confirm ({type(exc).__name__})") from exc
        self.observer.replica_ack(time.perf_counter() - started)
        if acks < self.min_replicas:
            self.observer.too_few_replicas(write)
            log.warning(
                "redis: %s confirmed by %d of %d replica(s) within %d ms: not acknowledged",
                write, acks, self.min_replicas, self.timeout_ms,
            )  # fmt: skip
            raise ReplicasBehind(
                f"{write}: {acks} of {self.min_replicas} replica(s) confirmed in time"
            )


def _pinned(connection: Any, kwargs: dict[str, Any], encoder: Any) -> Redis:
    return Redis(connection_pool=OneConnection(connection, kwargs, encoder))  # type: ignore[arg-type]


class NoObserver:
    def replica_ack(self, seconds: float) -> None:
        return None

    def too_few_replicas(self, write: str) -> None:
        return None

    def failover(self) -> None:
        return None


def _unheard(old: tuple[str, int], new: tuple[str, int]) -> None:
    return None
