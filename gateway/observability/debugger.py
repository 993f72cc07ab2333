"""The live debugger's buffer: the latest events of this process as the policy left them,
with each destination's verdict. Bounded (`console.debugger_events`), short-lived
(`console.debugger_seconds`) and in memory only; nothing is kept unless `console.debugger`
is on. Only what the policy let through is kept: removed values never reach it (the
trace names removed paths, never their values)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable
from typing import Any


class DebugBuffer:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._entries: deque[dict[str, Any]] = deque()
        self._clock = clock
        # Ids go on from the clock, so a browser reconnecting after a restart with the last id
        # it saw is not told that every new event is old.
        self._ids = itertools.count(int(clock() * 1000))
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()

    def add(self, entry: dict[str, Any], capacity: int, lifetime: float) -> None:
        """Keep `entry` (stamped with an id and the time) and hand it to every listener."""
        entry = {"id": next(self._ids), "at": self._clock(), **entry}
        self._entries.append(entry)
        while len(self._entries) > capacity:
            self._entries.popleft()
        self._expire(lifetime)
        for queue in list(self._listeners):
            if queue.qsize() < capacity:  # a listener that does not read loses events
                queue.put_nowait(entry)

    def recent(self, lifetime: float, source: str | None = None, limit: int = 50) -> list[Any]:
        """The newest `limit` entries (of one source, when given), newest first."""
        self._expire(lifetime)
        found = [e for e in reversed(self._entries) if source is None or e["source"] == source]
        return found[:limit]

    def listen(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listeners.add(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._listeners.discard(queue)

    def clear(self) -> None:
        self._entries.clear()

    def _expire(self, lifetime: float) -> None:
        cutoff = self._clock() - lifetime
        while self._entries and self._entries[0]["at"] < cutoff:
            self._entries.popleft()
