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
Per-subject preferences and consent log: {P:p:<subject key>}:state / :log.
Rate-limit buckets: {P:rl:<key>}.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson
from redis import exceptions as redis_errors
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from gateway.config.schema import RedisStorage
from gateway.errors import ConfigError, StoreUnavailable
from gateway.store import redis_scripts
from gateway.store.types import (
    Claimed,
    ConsentChange,
    DeadLetter,
    Dedupe,
    OutboxItem,
    ProvisionRecord,
    QueueStats,
)

T = TypeVar("T")
GROUP = "workers"
TIMEOUT_SECONDS = 1.5
MAX_CONNECTIONS = 64
# redis-py's cluster default (10 retries, each after a ClusterDown sleeping 0.25 s) would
# hold a request for seconds; a few quick retries ride out a redirect or a failover's
# first moments and still answer 503 within the 2 s the ingest contract promises.
CLUSTER_RETRIES = 3


def encode_item(item: OutboxItem, attempts: int = 0) -> bytes:
    return orjson.dumps(
        {
            "destination": item.destination,
            "idempotency_key": item.idempotency_key,
            "message_id": item.message_id,
            "source_id": item.source_id,
            "subject_keys": list(item.subject_keys),
            "payload": item.payload,
            "meta": item.meta,
            "created_at": item.created_at,
            "attempts": attempts,
        }
    )


def decode_item(data: bytes) -> tuple[OutboxItem, int, dict[str, Any]]:
    raw = orjson.loads(data)
    item = OutboxItem(
        destination=raw["destination"],
        idempotency_key=raw["idempotency_key"],
        message_id=raw["message_id"],
        source_id=raw["source_id"],
        subject_keys=tuple(raw["subject_keys"]),
        payload=raw["payload"],
        meta=raw["meta"],
        created_at=raw["created_at"],
    )
    return item, int(raw.get("attempts", 0)), raw


class RedisStore:
    def __init__(self, client: Any, storage: RedisStorage) -> None:
        self.client = client
        self.prefix = storage.key_prefix
        self.tag = "{" + storage.key_prefix + "}"
        self.claim_idle = storage.claim_idle_seconds
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._enqueue = client.register_script(redis_scripts.ENQUEUE)
        self._promote = client.register_script(redis_scripts.PROMOTE)
        self._gcra = client.register_script(redis_scripts.GCRA)
        self.outbox = RedisOutbox(self)
        self.ledger = RedisLedger(self)
        self.preferences = RedisPreferences(self)
        self.limiter = RedisRateLimiter(self)

    @classmethod
    async def connect(cls, storage: RedisStorage) -> RedisStore:
        options: dict[str, Any] = {
            "socket_timeout": TIMEOUT_SECONDS,
            "socket_connect_timeout": TIMEOUT_SECONDS,
            "decode_responses": False,
        }
        if storage.cluster:
            if urlsplit(storage.url).path.strip("/") not in ("", "0"):
                raise ConfigError(
                    ["gateway.yaml: storage: url: Redis Cluster has only database 0 "
                     f'(end the URL with /0), got "{urlsplit(storage.url).path}"']
                )  # fmt: skip
            backoff = ExponentialWithJitterBackoff(base=0.01, cap=0.1)
            client: Any = RedisCluster.from_url(
                storage.url, retry=Retry(backoff, CLUSTER_RETRIES), **options
            )
        else:
            # Callers beyond the pool size wait for a connection rather than fail.
            pool = BlockingConnectionPool.from_url(
                storage.url,
                max_connections=MAX_CONNECTIONS,
                timeout=TIMEOUT_SECONDS,
                health_check_interval=10,
                **options,
            )
            client = Redis(connection_pool=pool)
        return cls(client, storage)

    def key(self, *parts: str) -> str:
        return ":".join((self.tag, *parts))

    async def call(self, awaitable: Awaitable[T]) -> T:
        try:
            return await awaitable
        except (redis_errors.RedisError, redis_errors.RedisClusterException, OSError) as exc:
            # RedisClusterException (no reachable node, slots not covered) is no RedisError.
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

    async def log_admin_action(self, entry: dict[str, Any]) -> None:
        data = orjson.dumps({**entry, "at": time.time()})
        await self.call(self.client.rpush(self.key("admin"), data))

    async def admin_log(self, limit: int) -> list[dict[str, Any]]:
        rows = await self.call(self.client.lrange(self.key("admin"), -limit, -1))
        return [orjson.loads(r) for r in reversed(rows)]

    async def aclose(self) -> None:
        if isinstance(self.client, Redis):
            await self.client.aclose(close_connection_pool=True)
        else:
            await self.client.aclose()


class RedisOutbox:
    def __init__(self, store: RedisStore) -> None:
        self._s = store
        self._groups: set[str] = set()
        self._cursors: dict[str, bytes] = {}

    def _stream(self, destination: str) -> str:
        return self._s.key("out", destination)

    async def enqueue(self, items: Sequence[OutboxItem], dedupe: Dedupe | None = None) -> set[str]:
        dedupe_keys = list(dedupe.keys) if dedupe and dedupe.window_seconds else []
        keys = [self._s.key("dd", source, message) for source, message in dedupe_keys]
        keys += [self._stream(item.destination) for item in items]
        args: list[Any] = [time.time(), dedupe.window_seconds if dedupe else 0, len(dedupe_keys)]
        args += [message for _, message in dedupe_keys]
        for item in items:
            args += [item.message_id, encode_item(item)]
        if not keys:
            return set()
        duplicates = await self._s.call(self._s._enqueue(keys=keys, args=args))
        return {d.decode() if isinstance(d, bytes) else str(d) for d in duplicates}

    async def _ensure_group(self, stream: str) -> None:
        if stream in self._groups:
            return
        try:
            await self._s.client.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except redis_errors.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups.add(stream)

    async def claim(self, destination: str, limit: int, lease_seconds: float) -> list[Claimed]:
        stream = self._stream(destination)
        try:
            return await self._claim(stream, destination, limit, lease_seconds)
        except StoreUnavailable as exc:
            if "NOGROUP" in str(exc.__cause__):
                # Redis lost the group (restarted without its AOF, flushed): make it again.
                self._groups.discard(stream)
            raise

    async def _claim(
        self, stream: str, destination: str, limit: int, lease_seconds: float
    ) -> list[Claimed]:
        client = self._s.client
        await self._s.call(self._ensure_group(stream))
        await self._s.call(
            self._s._promote(
                keys=[self._s.key("retry", destination), stream, self._s.key("born", destination)],
                args=[time.time(), limit],
            )
        )
        idle_ms = int(max(self._s.claim_idle, lease_seconds) * 1000)
        # XAUTOCLAIM scans at most 10 x count pending entries per call: continue from where
        # the last call stopped, so idle entries behind many live ones are reached too.
        cursor = self._cursors.get(stream, b"0-0")
        cursor, reclaimed, *_ = await self._s.call(
            client.xautoclaim(stream, GROUP, self._s.consumer, idle_ms, cursor, count=limit)
        )
        self._cursors[stream] = cursor
        entries = list(reclaimed)
        if len(entries) < limit:
            fresh = await self._s.call(
                client.xreadgroup(
                    GROUP, self._s.consumer, {stream: ">"}, count=limit - len(entries)
                )
            )
            for _, rows in fresh or []:
                entries.extend(rows)
        counts = await self._delivery_counts(stream, reclaimed)
        return [self._claimed(entry_id, fields, counts) for entry_id, fields in entries if fields]

    async def _delivery_counts(self, stream: str, reclaimed: list[Any]) -> dict[bytes, int]:
        """Deliveries by the stream itself: an entry handed out again and again (a worker
        that crashes on it each time) counts as attempts, so a poison message dead-letters."""
        if not reclaimed:
            return {}
        ids = [entry_id for entry_id, _ in reclaimed]
        rows = await self._s.call(
            self._s.client.xpending_range(
                stream, GROUP, min=min(ids), max=max(ids), count=len(ids) * 2
            )
        )
        return {row["message_id"]: int(row["times_delivered"]) - 1 for row in rows}

    def _claimed(
        self, entry_id: bytes, fields: dict[bytes, bytes], counts: dict[bytes, int]
    ) -> Claimed:
        item, attempts, _ = decode_item(fields[b"d"])
        attempts += counts.get(entry_id, 0)
        return Claimed(
            ref=f"{item.destination}\x1f{entry_id.decode()}", item=item, attempts=attempts
        )

    @staticmethod
    def _split(ref: str) -> tuple[str, str]:
        destination, _, entry_id = ref.rpartition("\x1f")
        return destination, entry_id

    async def _remove(self, pipe: Any, entry: Claimed) -> None:
        destination, entry_id = self._split(entry.ref)
        stream = self._stream(destination)
        pipe.xack(stream, GROUP, entry_id)
        pipe.xdel(stream, entry_id)

    async def delivered(
        self, entries: Sequence[Claimed], records: Sequence[ProvisionRecord]
    ) -> None:
        async with self._s.client.pipeline(transaction=True) as pipe:
            for entry in entries:
                await self._remove(pipe, entry)
            for record in records:
                self._s.ledger.add(pipe, record)
            await self._s.call(pipe.execute())

    async def retry_later(self, entry: Claimed, delay: float, error: str) -> None:
        destination, _ = self._split(entry.ref)
        data = encode_item(entry.item, entry.attempts + 1)
        async with self._s.client.pipeline(transaction=True) as pipe:
            await self._remove(pipe, entry)
            pipe.zadd(self._s.key("retry", destination), {data: time.time() + delay})
            pipe.zadd(
                self._s.key("born", destination),
                {entry.item.idempotency_key: entry.item.created_at},
            )
            await self._s.call(pipe.execute())

    async def dead_letter(self, entry: Claimed, reason: str) -> None:
        destination, _ = self._split(entry.ref)
        raw = orjson.loads(encode_item(entry.item, entry.attempts + 1))
        raw.update(reason=reason, dead_at=time.time())
        async with self._s.client.pipeline(transaction=True) as pipe:
            await self._remove(pipe, entry)
            pipe.xadd(self._s.key("dead", destination), {"d": orjson.dumps(raw)})
            await self._s.call(pipe.execute())

    async def stats(self, destinations: Sequence[str]) -> dict[str, QueueStats]:
        out = {}
        now = time.time()
        for name in destinations:
            async with self._s.client.pipeline(transaction=False) as pipe:
                pipe.xlen(self._stream(name))
                pipe.zcard(self._s.key("retry", name))
                pipe.xlen(self._s.key("dead", name))
                pipe.xrange(self._stream(name), count=1)
                pipe.zrange(self._s.key("born", name), 0, 0, withscores=True)
                pending, retrying, dead, first, born = await self._s.call(pipe.execute())
            oldest = now
            if first:
                oldest = decode_item(first[0][1][b"d"])[0].created_at
            if born and retrying:
                oldest = min(oldest, float(born[0][1]))
            out[name] = QueueStats(int(pending) + int(retrying), max(0.0, now - oldest), int(dead))
        return out

    async def forget_subject(
        self, subject_keys: Sequence[str], destinations: Sequence[str] | None
    ) -> int:
        wanted = set(subject_keys)
        removed = 0
        for name in destinations if destinations is not None else await self._destinations():
            removed += await self._forget_in_stream(name, wanted)
            removed += await self._forget_in_retries(name, wanted)
        return removed

    async def _forget_in_stream(self, name: str, wanted: set[str]) -> int:
        stream = self._stream(name)
        rows = await self._s.call(self._s.client.xrange(stream))
        doomed = [
            entry_id
            for entry_id, fields in rows
            if fields and wanted & set(decode_item(fields[b"d"])[0].subject_keys)
        ]
        if doomed:
            async with self._s.client.pipeline(transaction=True) as pipe:
                pipe.xack(stream, GROUP, *doomed)
                pipe.xdel(stream, *doomed)
                await self._s.call(pipe.execute())
        return len(doomed)

    async def _forget_in_retries(self, name: str, wanted: set[str]) -> int:
        key = self._s.key("retry", name)
        members = await self._s.call(self._s.client.zrange(key, 0, -1))
        items = {m: decode_item(m)[0] for m in members}
        doomed = [m for m, item in items.items() if wanted & set(item.subject_keys)]
        if doomed:
            async with self._s.client.pipeline(transaction=True) as pipe:
                pipe.zrem(key, *doomed)
                pipe.zrem(self._s.key("born", name), *(items[m].idempotency_key for m in doomed))
                await self._s.call(pipe.execute())
        return len(doomed)

    async def _destinations(self) -> list[str]:
        pattern = self._s.key("out", "*")
        found = []
        async for key in self._s.client.scan_iter(match=pattern, count=500):
            found.append(key.decode().rpartition(":out:")[2])
        return found

    async def dead_letters(self, destination: str | None, limit: int) -> list[DeadLetter]:
        out: list[DeadLetter] = []
        names = [destination] if destination else await self._dead_destinations()
        for name in names:
            rows = await self._s.call(self._s.client.xrange(self._s.key("dead", name), count=limit))
            for entry_id, fields in rows:
                item, attempts, raw = decode_item(fields[b"d"])
                ref = f"{name}\x1f{entry_id.decode()}"
                out.append(DeadLetter(ref, item, attempts, raw["reason"], raw["dead_at"]))
        return out[:limit]

    async def _dead_destinations(self) -> list[str]:
        found = []
        async for key in self._s.client.scan_iter(match=self._s.key("dead", "*"), count=500):
            found.append(key.decode().rpartition(":dead:")[2])
        return found

    async def replay(self, destination: str | None, refs: Sequence[str] | None) -> int:
        letters = await self._selected(destination, refs)
        for letter in letters:
            name, entry_id = self._split(letter.ref)
            async with self._s.client.pipeline(transaction=True) as pipe:
                pipe.xadd(self._stream(name), {"d": encode_item(letter.item)})
                pipe.xdel(self._s.key("dead", name), entry_id)
                await self._s.call(pipe.execute())
        return len(letters)

    async def drop_dead(self, destination: str | None, refs: Sequence[str] | None) -> int:
        letters = await self._selected(destination, refs)
        for letter in letters:
            name, entry_id = self._split(letter.ref)
            await self._s.call(self._s.client.xdel(self._s.key("dead", name), entry_id))
        return len(letters)

    async def purge_dead(self, before: float) -> int:
        """Stream IDs are the time of death: trimming below it drops exactly the older ones."""
        removed = 0
        cutoff = f"{int(before * 1000)}-0"
        for name in await self._dead_destinations():
            trimmed = await self._s.call(
                self._s.client.xtrim(self._s.key("dead", name), minid=cutoff)
            )
            removed += int(trimmed)
        return removed

    async def _selected(
        self, destination: str | None, refs: Sequence[str] | None
    ) -> list[DeadLetter]:
        letters = await self.dead_letters(destination, 1_000_000)
        if refs is None:
            return letters
        wanted = set(refs)
        return [
            letter
            for letter in letters
            if letter.ref in wanted or self._split(letter.ref)[1] in wanted
        ]

    async def forget_dedupe(self, source_ids: Sequence[str], message_ids: Sequence[str]) -> int:
        keys = [self._s.key("dd", s, m) for s in source_ids for m in message_ids]
        if not keys:
            return 0
        return int(await self._s.call(self._s.client.delete(*keys)))


class RedisLedger:
    def __init__(self, store: RedisStore) -> None:
        self._s = store

    def add(self, pipe: Any, record: ProvisionRecord) -> None:
        """Queue the writes of one record on a (transactional) pipeline."""
        record_id = f"{record.delivered_at:.6f}:{record.idempotency_key}"
        data = orjson.dumps(
            {
                **record.as_dict(),
                "subject_keys": list(record.subject_keys),
            }
        )
        pipe.hset(self._s.key("ledger", "rec"), record_id, data)
        pipe.zadd(self._s.key("ledger", "time"), {record_id: record.delivered_at})
        pipe.zadd(
            self._s.key("ledger", "dest", record.destination), {record_id: record.delivered_at}
        )
        for key in {record.subject_key, *record.subject_keys}:
            if key:
                pipe.zadd(self._s.key("ledger", "subj", key), {record_id: record.delivered_at})

    async def query(
        self,
        *,
        subject_keys: Sequence[str] | None = None,
        destination: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 1000,
    ) -> list[ProvisionRecord]:
        low = since if since is not None else "-inf"
        high = f"({until}" if until is not None else "+inf"
        if subject_keys is not None:
            index_keys = [self._s.key("ledger", "subj", k) for k in subject_keys]
        elif destination is not None:
            index_keys = [self._s.key("ledger", "dest", destination)]
        else:
            index_keys = [self._s.key("ledger", "time")]
        ids: dict[bytes, None] = {}
        for index in index_keys:
            found = await self._s.call(self._s.client.zrangebyscore(index, low, high))
            ids.update(dict.fromkeys(found))
        if not ids:
            return []
        rows = await self._s.call(self._s.client.hmget(self._s.key("ledger", "rec"), list(ids)))
        records = [_record(orjson.loads(row)) for row in rows if row]
        if destination is not None:
            records = [r for r in records if r.destination == destination]
        records.sort(key=lambda r: (r.delivered_at, r.idempotency_key))
        return records[:limit]

    async def purge(self, before: float) -> int:
        time_key = self._s.key("ledger", "time")
        ids = await self._s.call(self._s.client.zrangebyscore(time_key, "-inf", f"({before}"))
        if not ids:
            return 0
        rows = await self._s.call(self._s.client.hmget(self._s.key("ledger", "rec"), ids))
        async with self._s.client.pipeline(transaction=True) as pipe:
            for record_id, row in zip(ids, rows, strict=True):
                if row:
                    record = _record(orjson.loads(row))
                    pipe.zrem(self._s.key("ledger", "dest", record.destination), record_id)
                    for key in {record.subject_key, *record.subject_keys}:
                        pipe.zrem(self._s.key("ledger", "subj", key), record_id)
            pipe.hdel(self._s.key("ledger", "rec"), *ids)
            pipe.zrem(time_key, *ids)
            await self._s.call(pipe.execute())
        return len(ids)


def _record(raw: dict[str, Any]) -> ProvisionRecord:
    return ProvisionRecord(
        delivered_at=raw["delivered_at"],
        destination=raw["destination"],
        country=raw["country"],
        purposes=tuple(raw["purposes"]),
        categories=tuple(raw["categories"]),
        subject_key=raw["subject_key"],
        subject_keys=tuple(raw.get("subject_keys", ())),
        message_id=raw["message_id"],
        idempotency_key=raw["idempotency_key"],
        policy_version=raw["policy_version"],
        consent=raw.get("consent", {}),
    )


class RedisPreferences:
    def __init__(self, store: RedisStore) -> None:
        self._s = store

    def _key(self, subject_key: str, part: str) -> str:
        return "{" + f"{self._s.prefix}:p:{subject_key}" + "}:" + part

    async def get_many(self, subject_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not subject_keys:
            return {}
        async with self._s.client.pipeline(transaction=False) as pipe:
            for key in subject_keys:
                pipe.get(self._key(key, "state"))
            rows = await self._s.call(pipe.execute())
        return {k: orjson.loads(v) for k, v in zip(subject_keys, rows, strict=True) if v}

    async def put(
        self, subject_keys: Sequence[str], state: dict[str, Any], change: ConsentChange
    ) -> None:
        # Each subject key has its own hash slot, so on a cluster these are separate writes;
        # the log entry goes last, after every state it describes is stored.
        async with self._s.client.pipeline(transaction=False) as pipe:
            for key in subject_keys:
                pipe.set(self._key(key, "state"), orjson.dumps(state))
            await self._s.call(pipe.execute())
        log_entry = orjson.dumps(change.as_dict())
        await self._s.call(self._s.client.rpush(self._key(change.subject_key, "log"), log_entry))
        await self._s.call(self._s.client.sadd(self._s.key("clog", "subjects"), change.subject_key))

    async def delete(self, subject_keys: Sequence[str]) -> int:
        removed = 0
        for key in subject_keys:
            removed += int(await self._s.call(self._s.client.delete(self._key(key, "state"))))
        return removed

    async def consent_log(self, subject_keys: Sequence[str]) -> list[ConsentChange]:
        changes: list[ConsentChange] = []
        for key in subject_keys:
            rows = await self._s.call(self._s.client.lrange(self._key(key, "log"), 0, -1))
            for row in rows:
                raw = orjson.loads(row)
                changes.append(
                    ConsentChange(
                        raw["at"], raw["subject_key"], raw["before"], raw["after"],
                        raw["source"], raw["policy_version"],
                    )
                )  # fmt: skip
        changes.sort(key=lambda c: c.at)
        return changes

    async def purge_log(self, before: float) -> int:
        removed = 0
        subjects = await self._s.call(self._s.client.smembers(self._s.key("clog", "subjects")))
        for subject in subjects:
            key = self._key(subject.decode(), "log")
            while True:
                head = await self._s.call(self._s.client.lindex(key, 0))
                if head is None or orjson.loads(head)["at"] >= before:
                    break
                await self._s.call(self._s.client.lpop(key))
                removed += 1
        return removed


class RedisRateLimiter:
    def __init__(self, store: RedisStore) -> None:
        self._s = store

    async def hit(self, key: str, rate: float, burst: int) -> float:
        bucket = "{" + f"{self._s.prefix}:rl:{key}" + "}"
        wait = await self._s.call(self._s._gcra(keys=[bucket], args=[rate, burst]))
        return float(wait)
