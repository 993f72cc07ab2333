"""The live debugger's buffer: the latest events as the policy left them, with each
destination's verdict. Bounded (`console.debugger_events`), short-lived
(`console.debugger_seconds`); nothing is kept unless `console.debugger` is on. Only what
the policy let through is kept: removed values never reach it (the trace names removed
paths, never their values).

Two buffers answer one protocol: `DebugBuffer` here, in the process's memory (SQLite: one
node), and `RedisDebugBuffer` (gateway/store/redis/debugger.py), one capped stream that
every node writes and reads. In both, an entry's id has the form of a Redis stream id,
"<milliseconds>-<sequence>", so a browser's Last-Event-ID means the same thing in each."""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

ENTRY_ID = re.compile(r"\d{1,20}-\d{1,20}")


class Debugger(Protocol):
    def add(self, entry: dict[str, Any], capacity: int, lifetime: float) -> None:
        """Keep `entry`, stamped with an id and the time, for every listener to get. Called
        by the ingest edge on its hot path: it never waits and never raises."""

    async def recent(
        self, lifetime: float, source: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The newest `limit` entries (of one source, when given), newest first."""

    def listen(self, capacity: int) -> asyncio.Queue[dict[str, Any]]:
        """A queue that gets each new entry; one that is not read holds `capacity` and then
        loses events rather than grow."""

    def unlisten(self, queue: asyncio.Queue[dict[str, Any]]) -> None: ...

    def clear(self) -> None:
        """Forget every entry now (the debugger was switched off)."""

    async def aclose(self) -> None: ...


def id_order(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


def deliver(listeners: set[asyncio.Queue[dict[str, Any]]], entry: dict[str, Any]) -> None:
    for queue in list(listeners):
        if not queue.full():
            queue.put_nowait(entry)


class DebugBuffer:
    """In this process's memory: a ring of the newest entries."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._entries: deque[dict[str, Any]] = deque()
        self._clock = clock
        # Ids go on from the clock, so a browser reconnecting after a restart with the last id
        # it saw is not told that every new event is old.
        self._last = (0, 0)
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()

    def add(self, entry: dict[str, Any], capacity: int, lifetime: float) -> None:
        entry = {"id": self._next_id(), "at": self._clock(), **entry}
        self._entries.append(entry)
        while len(self._entries) > capacity:
            self._entries.popleft()
        self._expire(lifetime)
        deliver(self._listeners, entry)

    async def recent(
        self, lifetime: float, source: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        self._expire(lifetime)
        found = [e for e in reversed(self._entries) if source is None or e["source"] == source]
        return found[:limit]

    def listen(self, capacity: int) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(capacity)
        self._listeners.add(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._listeners.discard(queue)

    def clear(self) -> None:
        self._entries.clear()

    async def aclose(self) -> None:
        self._listeners.clear()

    def _next_id(self) -> str:
        milliseconds = int(self._clock() * 1000)
        last, sequence = self._last
        self._last = (milliseconds, 0) if milliseconds > last else (last, sequence + 1)
        return f"{self._last[0]}-{self._last[1]}"

    def _expire(self, lifetime: float) -> None:
        cutoff = self._clock() - lifetime
        while self._entries and self._entries[0]["at"] < cutoff:
            self._entries.popleft()
