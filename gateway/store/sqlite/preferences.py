"""Customer preferences and the consent log, in a file of their own next to the main
database. Every event looks its subject's preferences up, so reads are served from a
process-local cache that is dropped whenever the file changes: SQLite's `data_version`
moves on any commit by another connection, in this process or another one, so a change
applies to the very next event everywhere, while outbox traffic (in the main file) never
invalidates the cache."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from gateway.errors import StoreUnavailable
from gateway.store.sqlite import migrations
from gateway.store.sqlite.writer import Writer, connect
from gateway.store.types import ConsentChange

CACHE_SIZE = 100_000


def preferences_path(main: Path) -> Path:
    return main.with_name(main.stem + ".prefs" + (main.suffix or ".db"))


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class SqlitePreferences:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._open()

    def _open(self) -> None:
        migrations.upgrade(self.path, migrations.PREFERENCES)
        self._writer = Writer(self.path)
        self._reader = connect(self.path, readonly=True)
        self._cache: dict[str, dict[str, Any] | None] = {}
        self._version: int | None = None

    def reopen(self) -> None:
        """A fresh file where the lost one was (SqliteStore decides when); blocking."""
        writer, reader = self._writer, self._reader
        self._open()
        writer.close()
        reader.close()

    async def write(self, op: Any) -> Any:
        try:
            return await self._writer.run(op)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite write failed ({type(exc).__name__})") from exc

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._reader.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite read failed ({type(exc).__name__})") from exc

    async def get_many(self, subject_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not subject_keys:
            return {}
        version = self._read("PRAGMA data_version")[0][0]
        if version != self._version or len(self._cache) > CACHE_SIZE:
            self._cache.clear()
            self._version = version
        cache = self._cache
        missing = [key for key in subject_keys if key not in cache]
        if missing:
            found = dict(
                self._read(
                    "SELECT subject_key, state FROM preferences "
                    f"WHERE subject_key IN ({_marks(missing)})",
                    missing,
                )
            )
            for key in missing:
                state = found.get(key)
                cache[key] = orjson.loads(state) if state is not None else None
        return {key: state for key in subject_keys if (state := cache[key]) is not None}

    async def put(
        self, subject_keys: Sequence[str], state: dict[str, Any], change: ConsentChange
    ) -> None:
        encoded = orjson.dumps(state)

        def op(conn: sqlite3.Connection) -> None:
            _upsert(conn, subject_keys, encoded, change.at)
            _append(conn, change)

        await self.write(op)

    async def change(
        self,
        subject_keys: Sequence[str],
        apply: Callable[[dict[str, Any]], dict[str, Any]],
        log: Callable[[str, dict[str, Any], dict[str, Any]], ConsentChange | None],
    ) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        def op(conn: sqlite3.Connection) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
            out = {}
            for key in subject_keys:
                row = conn.execute(
                    "SELECT state FROM preferences WHERE subject_key = ?", (key,)
                ).fetchone()
                before = orjson.loads(row[0]) if row else {}
                after = apply(before)
                entry = log(key, before, after)
                _upsert(conn, [key], orjson.dumps(after), time.time())
                if entry is not None:
                    _append(conn, entry)
                out[key] = (before, after)
            return out

        result: dict[str, tuple[dict[str, Any], dict[str, Any]]] = await self.write(op)
        return result

    async def delete(self, subject_keys: Sequence[str]) -> int:
        keys = list(subject_keys)

        def op(conn: sqlite3.Connection) -> int:
            sql = f"DELETE FROM preferences WHERE subject_key IN ({_marks(keys)})"
            return conn.execute(sql, keys).rowcount

        return int(await self.write(op))

    async def consent_log(self, subject_keys: Sequence[str]) -> list[ConsentChange]:
        if not subject_keys:
            return []
        rows = self._read(
            "SELECT at, subject_key, before, after, source, policy_version, basis, "
            "notice_version FROM consent_log "
            f"WHERE subject_key IN ({_marks(subject_keys)}) ORDER BY at, id",
            list(subject_keys),
        )
        return [
            ConsentChange(
                at=r[0],
                subject_key=r[1],
                before=orjson.loads(r[2]),
                after=orjson.loads(r[3]),
                source=r[4],
                policy_version=r[5],
                basis=orjson.loads(r[6]),
                notice_version=r[7],
            )
            for r in rows
        ]

    async def purge_log(self, before: float) -> int:
        def op(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM consent_log WHERE at < ?", (before,)).rowcount

        return int(await self.write(op))

    async def aclose(self) -> None:
        await asyncio.to_thread(self._writer.close)
        self._reader.close()


def _upsert(conn: sqlite3.Connection, keys: Sequence[str], state: bytes, at: float) -> None:
    conn.executemany(
        "INSERT INTO preferences (subject_key, state, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (subject_key) DO UPDATE SET state = excluded.state, "
        "updated_at = excluded.updated_at",
        [(key, state, at) for key in keys],
    )


def _append(conn: sqlite3.Connection, change: ConsentChange) -> None:
    conn.execute(
        "INSERT INTO consent_log (at, subject_key, before, after, source, policy_version, "
        "basis, notice_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            change.at,
            change.subject_key,
            orjson.dumps(change.before),
            orjson.dumps(change.after),
            change.source,
            change.policy_version,
            orjson.dumps(change.basis),
            change.notice_version,
        ),
    )
