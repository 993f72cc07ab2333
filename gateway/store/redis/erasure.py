"""A subject's not-yet-delivered payloads, dead letters and dedupe markers, removed on a
deletion or suspension request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gateway.store.redis.entries import GROUP, decode_item, queues

if TYPE_CHECKING:
    from gateway.store.redis.store import RedisStore


class RedisErasure:
    def __init__(self, store: RedisStore) -> None:
        self._s = store

    async def forget_pending(
        self, subject_keys: Sequence[str], destinations: Sequence[str] | None
    ) -> int:
        wanted = set(subject_keys)
        removed = 0
        for name in destinations if destinations is not None else await queues(self._s, "out"):
            # Retries first: a due retry moves into the stream, never the other way.
            removed += await self._forget_in_retries(name, wanted)
            removed += await self._forget_in_stream(name, wanted)
        return removed

    async def forget_dead(
        self, subject_keys: Sequence[str], destinations: Sequence[str] | None
    ) -> int:
        wanted = set(subject_keys)
        removed = 0
        names = destinations if destinations is not None else await queues(self._s, "dead")
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
        stream = self._s.key("out", name)
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

    async def forget_dedupe(self, source_ids: Sequence[str], message_ids: Sequence[str]) -> int:
        keys = [self._s.key("dd", s, m) for s in source_ids for m in message_ids]
        if not keys:
            return 0
        return int(await self._s.call(self._s.client.delete(*keys)))
