"""Dead letters on Redis: a stream per destination, listed, replayed into the outbox
(atomically, once: scripts.REPLAY), dropped, and trimmed by age."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gateway.store.redis.entries import decode_item, encode_item, queues, ref, split_ref
from gateway.store.types import DeadLetter

if TYPE_CHECKING:
    from gateway.store.redis.store import RedisStore


class RedisDeadLetters:
    def __init__(self, store: RedisStore) -> None:
        self._s = store

    async def entries(self, destination: str | None, limit: int) -> list[DeadLetter]:
        out: list[DeadLetter] = []
        names = [destination] if destination else await queues(self._s, "dead")
        for name in names:
            rows = await self._s.call(self._s.client.xrange(self._s.key("dead", name), count=limit))
            for entry_id, fields in rows:
                item, attempts, raw = decode_item(fields[b"d"])
                out.append(
                    DeadLetter(ref(name, entry_id), item, attempts, raw["reason"], raw["dead_at"])
                )
        return out[:limit]

    async def replay(self, destination: str | None, refs: Sequence[str] | None) -> int:
        letters = await self._selected(destination, refs)
        replayed = 0
        for letter in letters:
            name, entry_id = split_ref(letter.ref)
            # Moved only by whoever deletes it first: two replays cannot queue two copies.
            moved = await self._s.call(
                self._s.replay_script(
                    keys=[self._s.key("dead", name), self._s.key("out", name)],
                    args=[entry_id, encode_item(letter.item)],
                )
            )
            replayed += int(moved)
        return replayed

    async def drop(self, destination: str | None, refs: Sequence[str] | None) -> int:
        letters = await self._selected(destination, refs)
        for letter in letters:
            name, entry_id = split_ref(letter.ref)
            await self._s.call(self._s.client.xdel(self._s.key("dead", name), entry_id))
        return len(letters)

    async def purge(self, before: float) -> int:
        """Stream IDs are the time of death: trimming below it drops exactly the older ones."""
        removed = 0
        cutoff = f"{int(before * 1000)}-0"
        for name in await queues(self._s, "dead"):
            trimmed = await self._s.call(
                self._s.client.xtrim(self._s.key("dead", name), minid=cutoff)
            )
            removed += int(trimmed)
        return removed

    async def _selected(
        self, destination: str | None, refs: Sequence[str] | None
    ) -> list[DeadLetter]:
        letters = await self.entries(destination, 1_000_000)
        if refs is None:
            return letters
        wanted = set(refs)
        return [
            letter
            for letter in letters
            if letter.ref in wanted or split_ref(letter.ref)[1] in wanted
        ]
