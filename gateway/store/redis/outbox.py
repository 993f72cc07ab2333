"""The outbox on Redis Streams: one stream per destination with the consumer group
"workers" (XREADGROUP, XACK, XAUTOCLAIM for a worker that died), retries in a zset,
dead letters in a stream; see store.py for the key layout. A retry or dead letter is
recorded only by the worker that still holds the entry (a stale worker's verdict would
queue a second copy)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from redis import exceptions as redis_errors

from gateway.errors import StoreUnavailable
from gateway.store.redis.entries import GROUP, decode_item, encode_item, ref, split_ref
from gateway.store.types import Claimed, Dedupe, OutboxItem, ProvisionRecord, QueueStats

if TYPE_CHECKING:
    from gateway.store.redis.store import RedisStore

log = logging.getLogger("gateway.store")


class RedisOutbox:
    def __init__(self, store: RedisStore) -> None:
        self._s = store
        self._groups: set[str] = set()
        self._cursors: dict[str, bytes] = {}

    def _stream(self, destination: str) -> str:
        return self._s.key("out", destination)

    async def enqueue(self, items: Sequence[OutboxItem], dedupe: Dedupe | None = None) -> set[str]:
        dedupe_keys = list(dict.fromkeys(dedupe.keys)) if dedupe and dedupe.window_seconds else []
        keys = [self._s.key("dd", source, message) for source, message in dedupe_keys]
        keys += [self._stream(item.destination) for item in items]
        args: list[Any] = [time.time(), dedupe.window_seconds if dedupe else 0, len(dedupe_keys)]
        args += [message for _, message in dedupe_keys]
        for item in items:
            args += [item.message_id, encode_item(item)]
        if not keys:
            return set()
        async with self._s.replicated("enqueue", keys[-1]) as client:
            duplicates = await self._s.call(
                self._s.enqueue_script(keys=keys, args=args, client=client)
            )
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
            self._s.promote_script(
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
        return Claimed(ref=ref(item.destination, entry_id), item=item, attempts=attempts)

    async def _remove(self, pipe: Any, entry: Claimed) -> None:
        destination, entry_id = split_ref(entry.ref)
        stream = self._stream(destination)
        pipe.xack(stream, GROUP, entry_id)
        pipe.xdel(stream, entry_id)

    async def delivered(
        self, entries: Sequence[Claimed], records: Sequence[ProvisionRecord]
    ) -> None:
        async with (
            self._s.replicated("ledger", self._s.key("ledger")) as client,
            self._s.pipe(transaction=True, client=client) as pipe,
        ):
            for entry in entries:
                await self._remove(pipe, entry)
            for record in records:
                self._s.ledger.add(pipe, record)
            await self._s.call(pipe.execute())

    async def retry_later(self, entry: Claimed, delay: float, error: str) -> None:
        destination, _ = split_ref(entry.ref)
        data = encode_item(entry.item, entry.attempts + 1)
        due = repr(time.time() + delay)
        extra = [due, entry.item.idempotency_key, repr(entry.item.created_at)]
        await self._settle(entry, "retry", self._s.key("retry", destination), data, extra)

    async def dead_letter(self, entry: Claimed, reason: str) -> None:
        destination, _ = split_ref(entry.ref)
        raw = orjson.loads(encode_item(entry.item, entry.attempts + 1))
        raw.update(reason=reason, dead_at=time.time())
        await self._settle(entry, "dead", self._s.key("dead", destination), orjson.dumps(raw))

    async def _settle(
        self, entry: Claimed, verdict: str, target: str, data: bytes, extra: Sequence[str] = ()
    ) -> None:
        """Retry or dead-letter `entry` if this worker still holds it (see SETTLE)."""
        destination, entry_id = split_ref(entry.ref)
        keys = [self._stream(destination), target, self._s.key("born", destination)]
        args = [GROUP, entry_id, self._s.consumer, verdict, data, *extra]
        held = await self._s.call(self._s.settle_script(keys=keys, args=args))
        if not held:
            log.info("%s: entry taken over by another worker; its verdict stands", destination)

    async def stats(self, destinations: Sequence[str]) -> dict[str, QueueStats]:
        out = {}
        now = time.time()
        for name in destinations:
            async with self._s.pipe(transaction=False) as pipe:
                pipe.xlen(self._s.key("out", name))
                pipe.zcard(self._s.key("retry", name))
                pipe.xlen(self._s.key("dead", name))
                pipe.xrange(self._s.key("out", name), count=1)
                pipe.zrange(self._s.key("born", name), 0, 0, withscores=True)
                pending, retrying, dead, first, born = await self._s.call(pipe.execute())
            oldest = now
            if first:
                oldest = decode_item(first[0][1][b"d"])[0].created_at
            if born and retrying:
                oldest = min(oldest, float(born[0][1]))
            out[name] = QueueStats(int(pending) + int(retrying), max(0.0, now - oldest), int(dead))
        return out


class RedisDedupe:
    def __init__(self, store: RedisStore) -> None:
        self._s = store

    async def purge(self, now: float) -> int:
        return 0  # the markers carry a TTL
