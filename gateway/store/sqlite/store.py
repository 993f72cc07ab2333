"""The embedded default backend: one SQLite file in WAL mode, one writer thread with group
commit (writer.py), reads on a separate connection; preferences in a file of their own
(preferences.py). Opening runs the pending migrations (migrations.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import orjson

from gateway.errors import StoreUnavailable
from gateway.store.condition import Condition
from gateway.store.sqlite import migrations
from gateway.store.sqlite.dead_letters import SqliteDeadLetters
from gateway.store.sqlite.erasure import SqliteErasure
from gateway.store.sqlite.ledger import SqliteLedger
from gateway.store.sqlite.limiter import MemoryRateLimiter
from gateway.store.sqlite.outbox import SqliteDedupe, SqliteOutbox
from gateway.store.sqlite.preferences import SqlitePreferences, preferences_path
from gateway.store.sqlite.writer import Writer, connect

T = TypeVar("T")
log = logging.getLogger("gateway.store")
WRITE_TIMEOUT = 10.0  # seconds; a commit (fsync) slower than this answers 503
MIN_FREE_BYTES = 4 * 1024 * 1024  # below this the store is not ready (a batch would not fit)
REOPEN_INTERVAL = 1.0  # seconds between attempts to recreate lost files


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if info.st_nlink > 0 else None


def _cause(exc: sqlite3.Error) -> str:
    """A fault's cause for the log: SQLite's error name, never its statement or values."""
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    if name.startswith("SQLITE_FULL"):
        return "disk full: SQLite could not write"
    return f"SQLite writes fail ({name})"


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        """Opens (or creates) the files and runs their pending migrations; a file newer
        than this code raises StoreTooNew."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.condition = Condition(f"the SQLite store at {self.path}")
        self._scan_lock = threading.Lock()
        self._reopen_lock = asyncio.Lock()
        self._reopened_at = 0.0
        try:
            migrations.upgrade(self.path, migrations.MAIN)
            # Both files first: a refusal must come before any thread starts.
            migrations.upgrade(preferences_path(self.path), migrations.PREFERENCES)
            self._open_main()
            self.preferences = SqlitePreferences(preferences_path(self.path))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open SQLite database ({exc})") from exc
        self._identities = self._identify()
        self.outbox = SqliteOutbox(self)
        self.dead_letters = SqliteDeadLetters(self)
        self.erasure = SqliteErasure(self)
        self.dedupe = SqliteDedupe(self)
        self.ledger = SqliteLedger(self)
        self.limiter = MemoryRateLimiter()

    def _open_main(self) -> None:
        migrations.upgrade(self.path, migrations.MAIN)
        self._writer = Writer(self.path)
        self._reader = connect(self.path, readonly=True)
        self._scanner = connect(self.path, readonly=True)

    def _identify(self) -> dict[Path, tuple[int, int] | None]:
        return {p: _file_identity(p) for p in (self.path, preferences_path(self.path))}

    async def write(self, op: Callable[[sqlite3.Connection], T]) -> T:
        try:
            async with asyncio.timeout(WRITE_TIMEOUT):
                result = await self._writer.run(op)
        except sqlite3.Error as exc:
            self.condition.failed(self._problem() or _cause(exc))
            await self._reopen_if_lost()
            raise StoreUnavailable(f"SQLite write failed ({type(exc).__name__})") from exc
        except TimeoutError as exc:
            # The write may still land; the client retries and dedupe absorbs the repeat.
            self.condition.failed(f"writes did not confirm within {WRITE_TIMEOUT:g} s")
            raise StoreUnavailable("SQLite write did not confirm in time") from exc
        if self.condition.cause is not None and self._problem() is None:
            self.condition.recovered()
        return result

    def _problem(self) -> str | None:
        """What stands in the way of writing, found without writing: lost files, a full
        disk (a small write can still fit where a batch does not)."""
        if self._identify() != self._identities:
            return f"the database files in {self.path.parent} were removed or replaced"
        try:
            stats = os.statvfs(self.path.parent)
        except OSError:
            return f"the directory {self.path.parent} is gone"
        if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
            return f"disk full: less than {MIN_FREE_BYTES >> 20} MiB free in {self.path.parent}"
        return None

    async def _reopen_if_lost(self) -> None:
        """Lost files are recreated (empty) once their directory takes writes again; what
        they held is gone, and the log says so."""
        if self._identify() == self._identities or self._reopen_lock.locked():
            return
        if time.monotonic() - self._reopened_at < REOPEN_INTERVAL:
            return
        async with self._reopen_lock:
            self._reopened_at = time.monotonic()
            if not os.access(self.path.parent, os.W_OK | os.X_OK):
                return
            try:
                await asyncio.to_thread(self._reopen)
            except (sqlite3.Error, OSError) as exc:
                self.condition.failed(f"cannot reopen {self.path} ({type(exc).__name__})")
                return
            log.warning("reopened the SQLite store at %s: new, empty files (what the lost "
                        "ones held is gone)", self.path)  # fmt: skip

    def _reopen(self) -> None:
        old = (self._writer, self._reader, self._scanner)
        self._open_main()
        self.preferences.reopen()
        self._identities = self._identify()
        old[0].close()
        for conn in old[1:]:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Point reads run inline: an indexed SELECT costs microseconds, less than a thread hop."""
        try:
            return self._reader.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite read failed ({type(exc).__name__})") from exc

    async def scan(self, *queries: str) -> list[list[Any]]:
        """Run long read-only queries in a thread, on their own connection."""

        def run() -> list[list[Any]]:
            with self._scan_lock:
                return [self._scanner.execute(sql).fetchall() for sql in queries]

        try:
            return await asyncio.to_thread(run)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite read failed ({type(exc).__name__})") from exc

    async def ping(self) -> None:
        """Ready means writable: a full disk or a removed file fail this, not just reads
        (lost files are recreated here once their directory is usable again)."""
        await self._reopen_if_lost()
        problem = self._problem()
        if problem is not None:
            self.condition.failed(problem)
            raise StoreUnavailable(problem)
        self.read("SELECT 1")
        await self.write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO once (key, expires_at) VALUES ('probe:readyz', 0)"
            )
        )
        self.condition.recovered()

    async def get_or_create_key(self) -> bytes:
        key_path = self.path.with_name(self.path.name + ".key")
        if not key_path.exists():
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return bytes.fromhex(key_path.read_text().strip())

    async def use_once(self, key: str, ttl_seconds: int) -> bool:
        now = time.time()

        def op(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM once WHERE expires_at <= ?", (now,))
            return bool(
                conn.execute(
                    "INSERT OR IGNORE INTO once (key, expires_at) VALUES (?, ?)",
                    (key, now + ttl_seconds),
                ).rowcount
            )

        return await self.write(op)

    async def used(self, key: str) -> bool:
        rows = self.read("SELECT 1 FROM once WHERE key = ? AND expires_at > ?", (key, time.time()))
        return bool(rows)

    async def log_admin_action(self, entry: dict[str, Any]) -> None:
        def op(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO admin_log (at, entry) VALUES (?, ?)",
                (time.time(), orjson.dumps(entry)),
            )

        await self.write(op)

    async def admin_log(self, limit: int) -> list[dict[str, Any]]:
        rows = self.read("SELECT entry FROM admin_log ORDER BY id DESC LIMIT ?", (limit,))
        return [orjson.loads(r[0]) for r in rows]

    async def purge_admin_log(self, before: float) -> int:
        return int(
            await self.write(
                lambda conn: conn.execute("DELETE FROM admin_log WHERE at < ?", (before,)).rowcount
            )
        )

    async def aclose(self) -> None:
        await asyncio.to_thread(self._writer.close)
        self._reader.close()
        self._scanner.close()
        await self.preferences.aclose()
