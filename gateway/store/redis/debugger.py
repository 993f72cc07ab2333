"""The live debugger's buffer under Redis: one stream, `{P}:debug`, that every node writes
and reads, so an event taken by one node shows in the debugger of each.

- Writing: `add` only queues the entry in memory (bounded by the capacity) and makes sure
  one writer task is running; the task sends what has gathered in one pipeline per round
  trip: XADD with an exact MAXLEN (the console promises at most `debugger_events`; the
  stream is small, so exact trimming costs little), XTRIM MINID for the lifetime, and an
  expiry, so a stream nobody writes to goes by itself. Ingest never waits on Redis, and
  a failing Redis costs the debugger those entries, logged once, never a request; the
  writer tries again a second later with what gathered meanwhile.
- Reading: one reader task per process (while someone listens) blocks in XREAD and hands
  each new entry to every local listener. One per listener would hold a pooled
  connection per open console tab, taken from the pool that ingest and delivery use.
- Times are the nodes' clocks (the stream ids are Redis's): the skew between them only
  shifts when an entry counts as expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import orjson
from redis import exceptions as redis_errors

from gateway.errors import StoreUnavailable
from gateway.observability.debugger import deliver

if TYPE_CHECKING:
    from gateway.store.redis.store import RedisStore

log = logging.getLogger("gateway.debugger")
BLOCK_MS = 1000  # under the client's socket timeout (1.5 s)
PAGE = 200
RETRY_SECONDS = 1.0


class RedisDebugBuffer:
    def __init__(self, store: RedisStore) -> None:
        self._s = store
        self._key = store.key("debug")
        self._pending: deque[dict[str, Any]] = deque()
        self._limits = (1, 1.0)  # capacity and lifetime of the latest add
        self._clearing = False
        self._writer: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self._fault: str | None = None

    def add(self, entry: dict[str, Any], capacity: int, lifetime: float) -> None:
        self._pending.append({"at": time.time(), **entry})
        while len(self._pending) > capacity:
            self._pending.popleft()
        self._limits = (capacity, lifetime)
        self._write_soon()

    async def recent(
        self, lifetime: float, source: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        low = f"{int((time.time() - lifetime) * 1000)}-0"
        high = "+"
        found: list[dict[str, Any]] = []
        while len(found) < limit:
            rows = await _ask(
                self._s.client.xrevrange(self._key, high, low, count=max(limit, PAGE))
            )
            for stream_id, fields in rows:
                if source is None or fields[b"s"].decode() == source:
                    found.append(_entry(stream_id, fields))
            if len(rows) < max(limit, PAGE):
                break
            high = "(" + rows[-1][0].decode()
        return found[:limit]

    def listen(self, capacity: int) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(capacity)
        self._listeners.add(queue)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._read())
        return queue

    def unlisten(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """The reader stops by itself once nobody listens (within BLOCK_MS)."""
        self._listeners.discard(queue)

    def clear(self) -> None:
        """The stream is deleted by the writer, after what it is sending now (and expires
        by itself within the lifetime if Redis cannot be reached)."""
        self._pending.clear()
        self._clearing = True
        with contextlib.suppress(RuntimeError):  # no event loop: the expiry does it
            self._write_soon()

    async def aclose(self) -> None:
        self._listeners.clear()
        for task in (self._reader, self._writer):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _write_soon(self) -> None:
        """One writer at a time: entries added while it waits on Redis go in its next round."""
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        while self._pending or self._clearing:
            batch = list(self._pending)
            self._pending.clear()
            clearing, self._clearing = self._clearing, False
            try:
                await self._send(batch, clearing)
            except Exception as exc:  # the debugger's loss, never a request's
                self._failed(exc)
                self._clearing = self._clearing or clearing
                await asyncio.sleep(RETRY_SECONDS)  # then what gathered meanwhile (bounded)
                continue
            self._recovered()

    async def _send(self, batch: list[dict[str, Any]], clearing: bool) -> None:
        capacity, lifetime = self._limits
        async with self._s.pipe(transaction=False) as pipe:
            if clearing:
                pipe.delete(self._key)
            for entry in batch:
                fields = {"s": str(entry["source"]), "e": orjson.dumps(entry)}
                pipe.xadd(self._key, fields, maxlen=capacity, approximate=False)
            if batch:
                cutoff = f"{int((time.time() - lifetime) * 1000)}-0"
                pipe.xtrim(self._key, minid=cutoff, approximate=True)
                pipe.pexpire(self._key, int(lifetime * 1000))
            await pipe.execute()

    async def _read(self) -> None:
        last: str | None = None
        while self._listeners:
            try:
                if last is None:
                    newest = await _ask(self._s.client.xrevrange(self._key, count=1))
                    last = newest[0][0].decode() if newest else "0-0"
                reply = await _ask(self._s.client.xread({self._key: last}, PAGE, BLOCK_MS))
            except StoreUnavailable as exc:
                self._failed(exc)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self._recovered()
            for _, rows in reply or ():
                for stream_id, fields in rows:
                    last = stream_id.decode()
                    deliver(self._listeners, _entry(stream_id, fields))

    def _failed(self, exc: Exception) -> None:
        """Said once when the fault starts (and once when it ends), not per event."""
        if self._fault is None:
            self._fault = type(exc.__cause__ or exc).__name__
            log.warning("debugger: the shared Redis stream is unavailable (%s); "
                        "events are not shown meanwhile, ingest goes on", self._fault)  # fmt: skip

    def _recovered(self) -> None:
        if self._fault is not None:
            log.warning("debugger: the shared Redis stream is available again")
            self._fault = None


async def _ask(awaitable: Any) -> Any:
    """Not through the store's `call`: a fault of the debugger's stream is said once by the
    debugger and is not the store's (ingest may be working fine)."""
    try:
        return await awaitable
    except (redis_errors.RedisError, redis_errors.RedisClusterException, OSError) as exc:
        raise StoreUnavailable(f"Redis did not confirm ({type(exc).__name__})") from exc


def _entry(stream_id: bytes, fields: dict[bytes, bytes]) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": stream_id.decode(), **orjson.loads(fields[b"e"])}
    return entry
