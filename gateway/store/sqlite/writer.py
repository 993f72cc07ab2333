"""One writer connection on its own thread; concurrent callers' operations are grouped
into one transaction and one commit (group commit), each caller still awaiting its own
durable result."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
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
        _use_wal(conn)
        # FULL: every commit is fsynced, so a 200 survives power loss, not only a crash.
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _use_wal(conn: sqlite3.Connection, patience: float = 30.0) -> None:
    """Switching to WAL needs the database to itself, and SQLite answers "locked" at once
    rather than calling its busy handler when another connection holds it (several nodes
    starting on a new file together): so wait here, as busy_timeout would."""
    deadline = time.monotonic() + patience
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class Writer:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path)
        # Writers in other processes (serve --workers N, a separate worker) take turns on
        # this lock: a blocked flock wakes the moment it is free, where SQLite's own busy
        # handler polls with sleeps of up to 100 ms and made p99 soar under contention.
        self._lock = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        self._path = path
        self._identity = _identity(path)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._thread.start()

    async def run(self, op: Callable[[sqlite3.Connection], T]) -> T:
        """Run `op` in the writer's next transaction; returns after the commit."""
        if not self._thread.is_alive():
            raise sqlite3.OperationalError("the SQLite writer has stopped")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((op, _Waiter(loop, future)))
        return await future

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=10)
        self._conn.close()
        os.close(self._lock)

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
            # A caller cancelled before its turn gets nothing done.
            running = [(op, w) for op, w in group if not w.future.cancelled()]
            if not running:
                continue
            try:
                outcomes = self._commit(running)
            except BaseException as exc:  # the thread must outlive any one group's failure
                outcomes = [(waiter, None, exc) for _, waiter in running]
            _settle_all(outcomes)

    def _commit(self, group: list[tuple[Op, _Waiter]]) -> list[_Outcome]:
        results: list[_Outcome] = []
        lone = len(group) == 1
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        try:
            if _identity(self._path) != self._identity:
                # Writing on would go to a file nobody can read again: refuse (→ 503).
                raise sqlite3.OperationalError("the database file was removed or replaced")
            self._conn.execute("BEGIN IMMEDIATE")
            for index, (op, waiter) in enumerate(group):
                if lone:  # nothing else to protect: a failure rolls back the whole transaction
                    results.append((waiter, op(self._conn), None))
                    continue
                self._conn.execute(f"SAVEPOINT op{index}")
                try:
                    results.append((waiter, op(self._conn), None))
                    self._conn.execute(f"RELEASE op{index}")
                except Exception as exc:  # the op's own failure; the others still commit
                    self._conn.execute(f"ROLLBACK TO op{index}")
                    self._conn.execute(f"RELEASE op{index}")
                    results.append((waiter, None, exc))
            self._conn.execute("COMMIT")
        except Exception as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            return [(waiter, None, exc) for _, waiter in group]
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
        return results


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if info.st_nlink > 0 else None


class _Waiter:
    """Where an op's result goes: a future of the event loop that asked."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        self.loop = loop
        self.future = future


_Outcome = tuple[_Waiter, Any, BaseException | None]


def _settle_all(outcomes: list[_Outcome]) -> None:
    """One wake-up per event loop for the whole group, not one per caller."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_settle, items)


def _settle(items: list[_Outcome]) -> None:
    for waiter, result, error in items:
        if waiter.future.cancelled():
            continue
        if error is not None:
            waiter.future.set_exception(error)
        else:
            waiter.future.set_result(result)
