"""One writer connection on its own thread; concurrent callers' operations are grouped
into one transaction and one commit (group commit), each caller still awaiting its own
durable result."""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Op = Callable[[sqlite3.Connection], Any]
_STOP = object()
MAX_GROUP = 512


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: every commit is fsynced, so a 200 survives power loss, not only a crash.
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Writer:
    def __init__(self, path: Path, schema: str) -> None:
        self._conn = connect(path)
        self._conn.executescript(schema)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._thread.start()

    async def run(self, op: Callable[[sqlite3.Connection], T]) -> T:
        """Run `op` in the writer's next transaction; returns after the commit."""
        future: Future[T] = Future()
        self._queue.put((op, future))
        return await asyncio.wrap_future(future)

    def run_sync(self, op: Callable[[sqlite3.Connection], T]) -> T:
        future: Future[T] = Future()
        self._queue.put((op, future))
        return future.result()

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=10)
        self._conn.close()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)
                    break
                group.append(item)
            # A caller that was cancelled before its turn gets nothing done; once running,
            # its future can no longer be cancelled, so setting the result cannot fail.
            running = [(op, f) for op, f in group if f.set_running_or_notify_cancel()]
            if running:
                self._commit(running)

    def _commit(self, group: list[tuple[Op, Future[Any]]]) -> None:
        results: list[tuple[Future[Any], Any, BaseException | None]] = []
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            for index, (op, future) in enumerate(group):
                self._conn.execute(f"SAVEPOINT op{index}")
                try:
                    results.append((future, op(self._conn), None))
                    self._conn.execute(f"RELEASE op{index}")
                except Exception as exc:  # the op's own failure; the others still commit
                    self._conn.execute(f"ROLLBACK TO op{index}")
                    self._conn.execute(f"RELEASE op{index}")
                    results.append((future, None, exc))
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        for future, result, error in results:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)
