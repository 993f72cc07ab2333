"""Enqueue per event-loop tick: every request's payloads that arrive while the previous
writer job commits go into the next one — one transaction, one set-based dedupe statement,
one executemany — instead of a writer job, a savepoint and a dedupe round trip per request.
Each caller still gets its own duplicates, and only after the commit (200 means durable)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.errors import StoreUnavailable
from gateway.store.sqlite.rows import ITEM_COLUMNS
from gateway.store.types import Dedupe

Key = tuple[str, str]
Write = Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]
INSERT = f"INSERT INTO outbox ({ITEM_COLUMNS}, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
CHUNK = 300  # dedupe keys per statement: 3 parameters each, far below SQLite's limit


@dataclass(slots=True)
class Waiting:
    rows: list[tuple[Any, ...]]
    dedupe: Dedupe | None
    future: asyncio.Future[set[str]]


class Coalescer:
    """One per event loop (a store can serve several: tests, the CLI)."""

    def __init__(self, write: Write) -> None:
        self._write = write
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopCoalescer] = (
            weakref.WeakKeyDictionary()
        )

    async def enqueue(self, rows: list[tuple[Any, ...]], dedupe: Dedupe | None) -> set[str]:
        loop = asyncio.get_running_loop()
        coalescer = self._loops.get(loop)
        if coalescer is None:
            coalescer = self._loops[loop] = _LoopCoalescer(self._write)
        return await coalescer.enqueue(loop, rows, dedupe)


class _LoopCoalescer:
    """At most one writer job in flight per event loop; what arrives meanwhile waits for
    the next one. The first job of a quiet moment starts at the end of the current tick."""

    def __init__(self, write: Write) -> None:
        self._write = write
        self._waiting: list[Waiting] = []
        self._busy = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def enqueue(
        self, loop: asyncio.AbstractEventLoop, rows: list[tuple[Any, ...]], dedupe: Dedupe | None
    ) -> set[str]:
        waiting = Waiting(rows, dedupe, loop.create_future())
        self._waiting.append(waiting)
        if len(self._waiting) == 1 and not self._busy:
            loop.call_soon(self._flush)
        return await waiting.future

    def _flush(self) -> None:
        if self._busy or not self._waiting:
            return
        batch, self._waiting = self._waiting, []
        self._busy = True
        task = asyncio.get_running_loop().create_task(self._commit(batch))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._busy = False
        self._flush()

    async def _commit(self, batch: list[Waiting]) -> None:
        now = time.time()
        try:
            results: list[set[str]] = await self._write(lambda conn: enqueue_all(conn, batch, now))
        except StoreUnavailable as exc:
            for waiting in batch:
                _settle(waiting, error=StoreUnavailable(str(exc)))
            return
        except Exception as exc:  # a fault of ours: each caller sees it, none hangs
            for waiting in batch:
                _settle(waiting, error=exc)
            return
        for waiting, duplicates in zip(batch, results, strict=True):
            _settle(waiting, result=duplicates)


def _settle(
    waiting: Waiting, result: set[str] | None = None, error: BaseException | None = None
) -> None:
    if waiting.future.done():  # the caller went away (cancelled); its rows are written
        return
    if error is not None:
        waiting.future.set_exception(error)
    else:
        waiting.future.set_result(result or set())


def enqueue_all(conn: sqlite3.Connection, batch: Sequence[Waiting], now: float) -> list[set[str]]:
    """Each caller's duplicates: message IDs another request (earlier, or earlier in this
    job) already took within the window. A repeat inside one caller's keys is not its own
    duplicate."""
    owners: dict[Key, int] = {}
    windows: dict[Key, int] = {}
    for index, waiting in enumerate(batch):
        if waiting.future.cancelled() or waiting.dedupe is None:
            continue
        for key in waiting.dedupe.keys:
            if key not in owners:
                owners[key] = index
                windows[key] = waiting.dedupe.window_seconds
    claimed = claim_keys(conn, windows, now) if windows else set()
    results: list[set[str]] = []
    rows: list[tuple[Any, ...]] = []
    for index, waiting in enumerate(batch):
        if waiting.future.cancelled():  # the caller went away before its turn: nothing done
            results.append(set())
            continue
        keys = waiting.dedupe.keys if waiting.dedupe is not None else ()
        duplicates = {k[1] for k in keys if k not in claimed or owners[k] != index}
        results.append(duplicates)
        rows += [(*row, now) for row in waiting.rows if row[2] not in duplicates]
    conn.executemany(INSERT, rows)
    return results


def claim_keys(conn: sqlite3.Connection, windows: dict[Key, int], now: float) -> set[Key]:
    """The (source, messageId) keys this call takes: new ones, and ones whose window ran
    out (their marker is renewed); a key still within its window is not returned."""
    claimed: set[Key] = set()
    keys = list(windows)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        values = ", ".join("(?, ?, ?)" for _ in chunk)
        params: list[Any] = []
        for source_id, message_id in chunk:
            params += (source_id, message_id, now + windows[(source_id, message_id)])
        rows = conn.execute(
            f"INSERT INTO dedupe (source_id, message_id, expires_at) VALUES {values} "
            "ON CONFLICT (source_id, message_id) DO UPDATE SET expires_at = excluded.expires_at "
            "WHERE dedupe.expires_at <= ? RETURNING source_id, message_id",
            (*params, now),
        ).fetchall()
        claimed.update((row[0], row[1]) for row in rows)
    return claimed
