"""The embedded default backend: one SQLite file in WAL mode, one writer thread with group
commit (writer.py), reads on a separate connection; preferences in a file of their own
(preferences.py). Opening runs the pending migrations (migrations.py)."""

from __future__ import annotations

import asyncio
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
from gateway.store.sqlite import migrations
from gateway.store.sqlite.dead_letters import SqliteDeadLetters
from gateway.store.sqlite.erasure import SqliteErasure
from gateway.store.sqlite.ledger import SqliteLedger
from gateway.store.sqlite.limiter import MemoryRateLimiter
from gateway.store.sqlite.outbox import SqliteDedupe, SqliteOutbox
from gateway.store.sqlite.preferences import SqlitePreferences, preferences_path
from gateway.store.sqlite.writer import Writer, connect

T = TypeVar("T")
WRITE_TIMEOUT = 10.0  # seconds; a commit (fsync) slower than this answers 503


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        """Opens (or creates) the files and runs their pending migrations; a file newer
        than this code raises StoreTooNew."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            migrations.upgrade(self.path, migrations.MAIN)
            # Both files first: a refusal must come before any thread starts.
            migrations.upgrade(preferences_path(self.path), migrations.PREFERENCES)
            self._writer = Writer(self.path)
            self._reader = connect(self.path, readonly=True)
            self._scanner = connect(self.path, readonly=True)
            self._scan_lock = threading.Lock()
            self.preferences = SqlitePreferences(preferences_path(self.path))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open SQLite database ({exc})") from exc
        self.outbox = SqliteOutbox(self)
        self.dead_letters = SqliteDeadLetters(self)
        self.erasure = SqliteErasure(self)
        self.dedupe = SqliteDedupe(self)
        self.ledger = SqliteLedger(self)
        self.limiter = MemoryRateLimiter()

    async def write(self, op: Callable[[sqlite3.Connection], T]) -> T:
        try:
            async with asyncio.timeout(WRITE_TIMEOUT):
                return await self._writer.run(op)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite write failed ({type(exc).__name__})") from exc
        except TimeoutError as exc:
            # The write may still land; the client retries and dedupe absorbs the repeat.
            raise StoreUnavailable("SQLite write did not confirm in time") from exc

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
        """Ready means writable: a full disk or a removed file fail this, not just reads."""
        self.read("SELECT 1")
        await self.write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO once (key, expires_at) VALUES ('probe:readyz', 0)"
            )
        )

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

    async def aclose(self) -> None:
        await asyncio.to_thread(self._writer.close)
        self._reader.close()
        self._scanner.close()
        await self.preferences.aclose()
