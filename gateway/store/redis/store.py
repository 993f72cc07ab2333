"""The Redis backend, for several gateway nodes and independent delivery workers.

Layout (P = key_prefix). Everything a request or a delivery changes together lives under
one hash tag `{P}`, so each operation is one atomic script or MULTI and works unchanged on
Redis Cluster (the price: that slot's node carries the outbox traffic):
  {P}:out:<destination>    stream, consumer group "workers"; entries are deleted once acked
  {P}:retry:<destination>  zset of entries waiting for their next attempt (score = due time)
  {P}:born:<destination>   their idempotency keys by creation time (the queue's oldest age)
  {P}:dead:<destination>   stream of dead letters
  {P}:dd:<source>:<id>     dedupe markers with a TTL (the dedupe window)
  {P}:ledger:*             provision records and their indexes
  {P}:schema               the schema version (migrations.py); {P}:migrating its lock
  {P}:admin                list of admin actions (the console's change log)
  {P}:once:<key>           single-use markers with a TTL
  {P}:debug                stream of the live debugger's entries, capped and expiring
                           (debugger.py; only while console.debugger is on)
Per-subject preferences and consent log: {P:p:<subject key>}:state / :log.
Rate-limit buckets: {P:rl:<key>}, and a source's write-key and event buckets, taken in
one script call: {P:rl:src:<source id>}:key and {P:rl:src:<source id>}:events.

The master is named by `storage.url` or found through Sentinel (`storage.sentinel`);
writes that must survive a failover wait for `storage.min_replicas` (replication.py).
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import orjson
from redis import exceptions as redis_errors
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialWithJitterBackoff

from gateway.config.schema import RedisStorage, SentinelConfig
from gateway.errors import StoreUnavailable
from gateway.store.condition import Condition
from gateway.store.redis import migrations, scripts
from gateway.store.redis.dead_letters import RedisDeadLetters
from gateway.store.redis.erasure import RedisErasure
from gateway.store.redis.ledger import RedisLedger
from gateway.store.redis.limiter import RedisRateLimiter
from gateway.store.redis.outbox import RedisDedupe, RedisOutbox
from gateway.store.redis.preferences import RedisPreferences
from gateway.store.redis.replication import NoObserver, Replication, WatchedSentinelPool
from gateway.store.types import ReplicationObserver

T = TypeVar("T")
TIMEOUT_SECONDS = 1.5
MAX_CONNECTIONS = 64
# redis-py's cluster default (10 retries, each after a ClusterDown sleeping 0.25 s) would
# hold a request for seconds; a few quick retries ride out a redirect or a failover's
# first moments and still answer 503 within the 2 s the ingest contract promises.
CLUSTER_RETRIES = 3


class RedisStore:
    def __init__(
        self, client: Any, storage: RedisStorage, observer: ReplicationObserver | None = None
    ) -> None:
        self.client = client
        self.replication = Replication(
            client, storage.min_replicas, storage.replica_timeout_ms, observer or NoObserver()
        )
        self.prefix = storage.key_prefix
        self.tag = "{" + storage.key_prefix + "}"
        self.claim_idle = storage.claim_idle_seconds
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.enqueue_script = client.register_script(scripts.ENQUEUE)
        self.promote_script = client.register_script(scripts.PROMOTE)
        self.settle_script = client.register_script(scripts.SETTLE)
        self.gcra_script = client.register_script(scripts.GCRA)
        self.replay_script = client.register_script(scripts.REPLAY)
        self.outbox = RedisOutbox(self)
        self.dead_letters = RedisDeadLetters(self)
        self.erasure = RedisErasure(self)
        self.dedupe = RedisDedupe(self)
        self.ledger = RedisLedger(self)
        self.preferences = RedisPreferences(self)
        self.limiter = RedisRateLimiter(self)
        self.condition = Condition("the Redis store")

    @classmethod
    async def connect(
        cls,
        storage: RedisStorage,
        *,
        migrate: bool = True,
        observer: ReplicationObserver | None = None,
    ) -> RedisStore:
        """A client for the configured Redis; with `migrate`, the pending migrations run
        first (a store newer than this code raises StoreTooNew)."""
        observer = observer or NoObserver()
        options: dict[str, Any] = {
            "socket_timeout": TIMEOUT_SECONDS,
            "socket_connect_timeout": TIMEOUT_SECONDS,
            "decode_responses": False,
        }
        if storage.sentinel is not None:
            client: Any = _sentinel_client(storage.sentinel, options)
        elif storage.cluster:
            # A database other than 0 was refused by config validation (cross_check).
            backoff = ExponentialWithJitterBackoff(base=0.01, cap=0.1)
            client = RedisCluster.from_url(
                storage.url or "", retry=Retry(backoff, CLUSTER_RETRIES), **options
            )
        else:
            # Callers beyond the pool size wait for a connection rather than fail.
            pool = BlockingConnectionPool.from_url(
                storage.url or "",
                max_connections=MAX_CONNECTIONS,
                timeout=TIMEOUT_SECONDS,
                health_check_interval=10,
                **options,
            )
            client = Redis(connection_pool=pool)
        store = cls(client, storage, observer)
        if storage.sentinel is not None:
            client.connection_pool.on_failover = store.replication.failover
        if migrate:
            try:
                await migrations.upgrade(store)
            except BaseException:
                await store.aclose()
                raise
        return store

    def replicated(self, write: str, key: str) -> contextlib.AbstractAsyncContextManager[Any]:
        """A client for writes to `key`'s master that must reach `storage.min_replicas`
        replicas before they count (replication.py); the plain client when that is 0."""
        return self.replication.session(write, key)

    def key(self, *parts: str) -> str:
        return ":".join((self.tag, *parts))

    async def call(self, awaitable: Awaitable[T]) -> T:
        try:
            result = await awaitable
        except (redis_errors.RedisError, redis_errors.RedisClusterException, OSError) as exc:
            # RedisClusterException (no reachable node, slots not covered) is no RedisError.
            self.condition.failed(f"Redis did not confirm ({type(exc).__name__})")
            raise StoreUnavailable(f"Redis did not confirm ({type(exc).__name__})") from exc
        if self.condition.cause is not None:
            self.condition.recovered()
        return result

    @contextlib.asynccontextmanager
    async def pipe(self, transaction: bool, client: Any = None) -> AsyncIterator[Any]:
        """A pipeline whose setup errors count as the store being unreachable too (on a
        cluster, entering one may first have to rediscover the nodes)."""
        try:
            async with (client or self.client).pipeline(transaction=transaction) as pipe:
                yield pipe
        except (redis_errors.RedisError, redis_errors.RedisClusterException, OSError) as exc:
            raise StoreUnavailable(f"Redis did not confirm ({type(exc).__name__})") from exc

    async def ping(self) -> None:
        """On a cluster every primary must answer: each holds some subjects' preferences and
        rate-limit buckets, one of them the whole outbox."""
        if isinstance(self.client, RedisCluster):
            await self.call(self.client.ping(target_nodes=RedisCluster.PRIMARIES))
        else:
            await self.call(self.client.ping())

    async def get_or_create_key(self) -> bytes:
        raise StoreUnavailable("the redis backend needs secrets.key_env (a shared gateway key)")

    async def use_once(self, key: str, ttl_seconds: int) -> bool:
        stored = await self.call(
            self.client.set(self.key("once", key), b"1", nx=True, ex=max(1, ttl_seconds))
        )
        return bool(stored)

    async def used(self, key: str) -> bool:
        return bool(await self.call(self.client.exists(self.key("once", key))))

    async def log_admin_action(self, entry: dict[str, Any]) -> None:
        data = orjson.dumps({**entry, "at": time.time()})
        await self.call(self.client.rpush(self.key("admin"), data))

    async def admin_log(self, limit: int) -> list[dict[str, Any]]:
        rows = await self.call(self.client.lrange(self.key("admin"), -limit, -1))
        return [orjson.loads(r) for r in reversed(rows)]

    async def purge_admin_log(self, before: float) -> int:
        """Entries are appended in time order: drop the leading ones older than `before`."""
        key = self.key("admin")
        old = 0
        while True:
            rows = await self.call(self.client.lrange(key, old, old + 499))
            stale = [r for r in rows if float(orjson.loads(r).get("at", 0)) < before]
            old += len(stale)
            if len(stale) < len(rows) or not rows:
                break
        if old:
            await self.call(self.client.ltrim(key, old, -1))
        return old

    async def aclose(self) -> None:
        if isinstance(self.client, Redis):
            await self.client.aclose(close_connection_pool=True)
        else:
            await self.client.aclose()


def _sentinel_client(sentinel: SentinelConfig, options: dict[str, Any]) -> Redis:
    """The master's client through the sentinels: each new connection asks them where the
    master is, so a promotion is followed without a restart."""
    auth: dict[str, Any] = {}
    if sentinel.username_env:
        auth["username"] = os.environ[sentinel.username_env]
    if sentinel.password_env:
        auth["password"] = os.environ[sentinel.password_env]
    tls: dict[str, Any] = {"ssl": True} if sentinel.tls else {}
    sentinel_kwargs: dict[str, Any] = {
        "socket_timeout": TIMEOUT_SECONDS, "socket_connect_timeout": TIMEOUT_SECONDS, **tls,
    }  # fmt: skip
    if sentinel.sentinel_password_env:
        sentinel_kwargs["password"] = os.environ[sentinel.sentinel_password_env]
    manager = Sentinel(sentinel.addresses(), sentinel_kwargs=sentinel_kwargs, **options)
    client: Redis = manager.master_for(
        sentinel.master_name,
        connection_pool_class=WatchedSentinelPool,
        max_connections=MAX_CONNECTIONS,
        timeout=TIMEOUT_SECONDS,
        health_check_interval=10,
        db=sentinel.database,
        **auth,
        **tls,
    )
    return client
