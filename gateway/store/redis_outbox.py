"""The outbox on Redis Streams: one stream per destination with the consumer group
"workers" (XREADGROUP, XACK, XAUTOCLAIM for a worker that died), retries in a zset,
dead letters in a stream; see redis.py for the key layout. A retry or dead letter is
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
from gateway.store.types import (
    Claimed,
    DeadLetter,
    Dedupe,
    OutboxItem,
    ProvisionRecord,
    QueueStats,
)

if TYPE_CHECKING:
    from gateway.store.redis import RedisStore

GROUP = "workers"
log = logging.getLogger("gateway.store")


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
        async with self._s.pipe(transaction=True) as pipe:
            for entry in entries:
                await self._remove(pipe, entry)
            for record in records:
                self._s.ledger.add(pipe, record)
            await self._s.call(pipe.execute())

    async def retry_later(self, entry: Claimed, delay: float, error: str) -> None:
        destination, _ = self._split(entry.ref)
        data = encode_item(entry.item, entry.attempts + 1)
        due = repr(time.time() + delay)
        extra = [due, entry.item.idempotency_key, repr(entry.item.created_at)]
        await self._settle(entry, "retry", self._s.key("retry", destination), data, extra)

    async def dead_letter(self, entry: Claimed, reason: str) -> None:
        destination, _ = self._split(entry.ref)
        raw = orjson.loads(encode_item(entry.item, entry.attempts + 1))
        raw.update(reason=reason, dead_at=time.time())
        await self._settle(entry, "dead", self._s.key("dead", destination), orjson.dumps(raw))

    async def _settle(
        self, entry: Claimed, verdict: str, target: str, data: bytes, extra: Sequence[str] = ()
    ) -> None:
        """Retry or dead-letter `entry` if this worker still holds it (see SETTLE)."""
        destination, entry_id = self._split(entry.ref)
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
            # Retries first: a due retry moves into the stream, never the other way.
            removed += await self._forget_in_retries(name, wanted)
            removed += await self._forget_in_stream(name, wanted)
        return removed

    async def forget_dead_subject(
        self, subject_keys: Sequence[str], destinations: Sequence[str] | None
    ) -> int:
        wanted = set(subject_keys)
        removed = 0
        names = destinations if destinations is not None else await self._dead_destinations()
        for name in names:
            stream = self._s.key("dead", name)
            rows = await self._s.call(self._s.client.xrange(stream))
            doomed = [
                entry_id
                for entry_id, fields in rows
                if fields and wanted & set(decode_item(fields[b"d"])[0].subject_keys)
            ]
            if doomed:
                removed += int(await self._s.call(self._s.client.xdel(stream, *doomed)))
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
            async with self._s.pipe(transaction=True) as pipe:
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
            async with self._s.pipe(transaction=True) as pipe:
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
        replayed = 0
        for letter in letters:
            name, entry_id = self._split(letter.ref)
            # Moved only by whoever deletes it first: two replays cannot queue two copies.
            moved = await self._s.call(
                self._s.replay_script(
                    keys=[self._s.key("dead", name), self._stream(name)],
                    args=[entry_id, encode_item(letter.item)],
                )
            )
            replayed += int(moved)
        return replayed

    async def drop_dead(self, destination: str | None, refs: Sequence[str] | None) -> int:
        letters = await self._selected(destination, refs)
        for letter in letters:
            name, entry_id = self._split(letter.ref)
            await self._s.call(self._s.client.xdel(self._s.key("dead", name), entry_id))
        return len(letters)

    async def purge_dedupe(self, now: float) -> int:
        return 0  # the markers carry a TTL

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
