"""The embedded default backend: one SQLite file in WAL mode, one writer thread with group
commit (sqlite_writer.py), reads on a separate connection."""

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
from gateway.store.memory_limiter import MemoryRateLimiter
from gateway.store.sqlite_preferences import SqlitePreferences, preferences_path
from gateway.store.sqlite_writer import Writer, connect
from gateway.store.types import (
    Claimed,
    DeadLetter,
    Dedupe,
    OutboxItem,
    ProvisionRecord,
    QueueStats,
)

T = TypeVar("T")
WRITE_TIMEOUT = 10.0  # seconds; a commit (fsync) slower than this answers 503

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    subject_keys TEXT NOT NULL,
    payload BLOB NOT NULL,
    meta BLOB NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (destination, next_attempt_at);
CREATE TABLE IF NOT EXISTS dead_letter (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    subject_keys TEXT NOT NULL,
    payload BLOB NOT NULL,
    meta BLOB NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    dead_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letter_destination ON dead_letter (destination);
CREATE TABLE IF NOT EXISTS dedupe (
    source_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (source_id, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedupe_expiry ON dedupe (expires_at);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY,
    delivered_at REAL NOT NULL,
    destination TEXT NOT NULL,
    country TEXT NOT NULL,
    purposes TEXT NOT NULL,
    categories TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    subject_keys TEXT NOT NULL,
    message_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    consent BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_destination ON ledger (destination, delivered_at);
CREATE INDEX IF NOT EXISTS ledger_time ON ledger (delivered_at);
CREATE TABLE IF NOT EXISTS ledger_subject (
    subject_key TEXT NOT NULL,
    ledger_id INTEGER NOT NULL REFERENCES ledger (id) ON DELETE CASCADE,
    PRIMARY KEY (subject_key, ledger_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_subject_id ON ledger_subject (ledger_id);
CREATE TABLE IF NOT EXISTS once (
    key TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS admin_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    entry BLOB NOT NULL
);
"""

ITEM_COLUMNS = (
    "destination, idempotency_key, message_id, source_id, subject_keys, payload, meta, created_at"
)


def _item_row(item: OutboxItem) -> tuple[Any, ...]:
    return (
        item.destination,
        item.idempotency_key,
        item.message_id,
        item.source_id,
        " ".join(item.subject_keys),
        orjson.dumps(item.payload),
        orjson.dumps(item.meta),
        item.created_at,
    )


def _item(row: Sequence[Any]) -> OutboxItem:
    return OutboxItem(
        destination=row[0],
        idempotency_key=row[1],
        message_id=row[2],
        source_id=row[3],
        subject_keys=tuple(row[4].split()),
        payload=orjson.loads(row[5]),
        meta=orjson.loads(row[6]),
        created_at=row[7],
    )


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = Writer(self.path, SCHEMA)
            self._reader = connect(self.path, readonly=True)
            self._scanner = connect(self.path, readonly=True)
            self._scan_lock = threading.Lock()
            self.preferences = SqlitePreferences(preferences_path(self.path))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open SQLite database ({exc})") from exc
        self.outbox = SqliteOutbox(self)
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


class SqliteOutbox:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def enqueue(self, items: Sequence[OutboxItem], dedupe: Dedupe | None = None) -> set[str]:
        rows = [_item_row(item) for item in items]
        now = time.time()

        def op(conn: sqlite3.Connection) -> set[str]:
            duplicates = _claim_dedupe(conn, dedupe, now) if dedupe else set()
            fresh = [r for r in rows if r[2] not in duplicates]
            conn.executemany(
                f"INSERT INTO outbox ({ITEM_COLUMNS}, next_attempt_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*r, now) for r in fresh],
            )
            return duplicates

        return await self._store.write(op)

    async def claim(self, destination: str, limit: int, lease_seconds: float) -> list[Claimed]:
        now = time.time()
        lease = now + lease_seconds

        def op(conn: sqlite3.Connection) -> list[Any]:
            return conn.execute(
                f"UPDATE outbox SET lease_until = ? WHERE id IN (SELECT id FROM outbox "
                "WHERE destination = ? AND next_attempt_at <= ? AND lease_until <= ? "
                f"ORDER BY next_attempt_at, id LIMIT ?) RETURNING id, {ITEM_COLUMNS}, attempts",
                (lease, destination, now, now, limit),
            ).fetchall()

        rows = await self._store.write(op)
        # The lease's end doubles as a fencing token: once another worker re-claims an entry
        # whose lease ran out, this holder's retry or dead-letter no longer applies to it.
        return [Claimed(ref=f"{r[0]}@{lease!r}", item=_item(r[1:9]), attempts=r[9]) for r in rows]

    async def delivered(
        self, entries: Sequence[Claimed], records: Sequence[ProvisionRecord]
    ) -> None:
        # Not fenced: whoever holds the entry now, it has been delivered, and removing it
        # spares the vendor a second copy.
        ids = [(_held(e)[0],) for e in entries]

        def op(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM outbox WHERE id = ?", ids)
            for record in records:
                _insert_record(conn, record)

        await self._store.write(op)

    async def retry_later(self, entry: Claimed, delay: float, error: str) -> None:
        def op(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, lease_until = 0, "
                "last_error = ? WHERE id = ? AND lease_until = ?",
                (time.time() + delay, error, *_held(entry)),
            )

        await self._store.write(op)

    async def dead_letter(self, entry: Claimed, reason: str) -> None:
        held = _held(entry)

        def op(conn: sqlite3.Connection) -> None:
            moved = conn.execute(
                f"INSERT INTO dead_letter ({ITEM_COLUMNS}, attempts, reason, dead_at) "
                f"SELECT {ITEM_COLUMNS}, attempts + 1, ?, ? FROM outbox "
                "WHERE id = ? AND lease_until = ?",
                (reason, time.time(), *held),
            ).rowcount
            if moved:
                conn.execute("DELETE FROM outbox WHERE id = ? AND lease_until = ?", held)

        await self._store.write(op)

    async def stats(self, destinations: Sequence[str]) -> dict[str, QueueStats]:
        # A scan of the whole queue: off the event loop, on a connection of its own.
        rows, dead_rows = await self._store.scan(
            "SELECT destination, COUNT(*), MIN(created_at) FROM outbox GROUP BY destination",
            "SELECT destination, COUNT(*) FROM dead_letter GROUP BY destination",
        )
        now = time.time()
        pending = dict.fromkeys(destinations, (0, now))
        for name, count, oldest in rows:
            pending[name] = (count, oldest)
        dead = dict(dead_rows)
        return {
            name: QueueStats(count, max(0.0, now - oldest), dead.get(name, 0))
            for name, (count, oldest) in pending.items()
        }

    async def forget_subject(
        self, subject_keys: Sequence[str], destinations: Sequence[str] | None
    ) -> int:
        return await self._forget("outbox", subject_keys, destinations)

    async def forget_dead_subject(
        self, subject_keys: Sequence[str], destinations: Sequence[str] | None
    ) -> int:
        return await self._forget("dead_letter", subject_keys, destinations)

    async def _forget(
        self, table: str, subject_keys: Sequence[str], destinations: Sequence[str] | None
    ) -> int:
        def op(conn: sqlite3.Connection) -> int:
            total = 0
            for key in subject_keys:
                # instr, not LIKE: "_" in a key is a LIKE wildcard and would match other keys.
                sql = f"DELETE FROM {table} WHERE instr(' ' || subject_keys || ' ', ?) > 0"
                params: list[Any] = [f" {key} "]
                if destinations is not None:
                    sql += f" AND destination IN ({_marks(destinations)})"
                    params += list(destinations)
                total += conn.execute(sql, params).rowcount
            return total

        return await self._store.write(op)

    async def dead_letters(self, destination: str | None, limit: int) -> list[DeadLetter]:
        sql = f"SELECT id, {ITEM_COLUMNS}, attempts, reason, dead_at FROM dead_letter"
        params: list[Any] = []
        if destination:
            sql += " WHERE destination = ?"
            params.append(destination)
        rows = self._store.read(sql + " ORDER BY id LIMIT ?", [*params, limit])
        return [
            DeadLetter(
                ref=str(r[0]), item=_item(r[1:9]), attempts=r[9], reason=r[10], dead_at=r[11]
            )
            for r in rows
        ]

    async def replay(self, destination: str | None, refs: Sequence[str] | None) -> int:
        where, params = _dead_filter(destination, refs)

        def op(conn: sqlite3.Connection) -> int:
            conn.execute(
                f"INSERT INTO outbox ({ITEM_COLUMNS}, next_attempt_at) "
                f"SELECT {ITEM_COLUMNS}, ? FROM dead_letter{where}",
                [time.time(), *params],
            )
            return conn.execute(f"DELETE FROM dead_letter{where}", params).rowcount

        return await self._store.write(op)

    async def drop_dead(self, destination: str | None, refs: Sequence[str] | None) -> int:
        where, params = _dead_filter(destination, refs)
        return await self._store.write(
            lambda conn: conn.execute(f"DELETE FROM dead_letter{where}", params).rowcount
        )

    async def purge_dedupe(self, now: float) -> int:
        return await self._store.write(
            lambda conn: conn.execute("DELETE FROM dedupe WHERE expires_at <= ?", (now,)).rowcount
        )

    async def purge_dead(self, before: float) -> int:
        return await self._store.write(
            lambda conn: (
                conn.execute("DELETE FROM dead_letter WHERE dead_at < ?", (before,)).rowcount
            )
        )

    async def forget_dedupe(self, source_ids: Sequence[str], message_ids: Sequence[str]) -> int:
        if not message_ids:
            return 0

        def op(conn: sqlite3.Connection) -> int:
            return conn.execute(
                f"DELETE FROM dedupe WHERE message_id IN ({_marks(message_ids)})",
                list(message_ids),
            ).rowcount

        return await self._store.write(op)


def _held(entry: Claimed) -> tuple[int, float]:
    """(row id, lease end) of a claimed entry's ref."""
    row, _, lease = entry.ref.partition("@")
    return int(row), float(lease)


def _claim_dedupe(conn: sqlite3.Connection, dedupe: Dedupe, now: float) -> set[str]:
    duplicates: set[str] = set()
    expires = now + dedupe.window_seconds
    for source_id, message_id in dict.fromkeys(dedupe.keys):  # a repeat is not its own duplicate
        conn.execute(
            "DELETE FROM dedupe WHERE source_id = ? AND message_id = ? AND expires_at <= ?",
            (source_id, message_id, now),
        )
        inserted = conn.execute(
            "INSERT OR IGNORE INTO dedupe (source_id, message_id, expires_at) VALUES (?, ?, ?)",
            (source_id, message_id, expires),
        ).rowcount
        if not inserted:
            duplicates.add(message_id)
    return duplicates


def _dead_filter(destination: str | None, refs: Sequence[str] | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if destination:
        clauses.append("destination = ?")
        params.append(destination)
    if refs is not None:
        clauses.append(f"id IN ({_marks(refs)})")
        params += [int(r) for r in refs]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _insert_record(conn: sqlite3.Connection, record: ProvisionRecord) -> None:
    ledger_id = conn.execute(
        "INSERT INTO ledger (delivered_at, destination, country, purposes, categories, "
        "subject_key, subject_keys, message_id, idempotency_key, policy_version, consent) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.delivered_at,
            record.destination,
            record.country,
            " ".join(record.purposes),
            " ".join(record.categories),
            record.subject_key,
            " ".join(record.subject_keys),
            record.message_id,
            record.idempotency_key,
            record.policy_version,
            orjson.dumps(record.consent),
        ),
    ).lastrowid
    conn.executemany(
        "INSERT OR IGNORE INTO ledger_subject (subject_key, ledger_id) VALUES (?, ?)",
        [(key, ledger_id) for key in {record.subject_key, *record.subject_keys}],
    )


def _record(row: Sequence[Any]) -> ProvisionRecord:
    return ProvisionRecord(
        delivered_at=row[0],
        destination=row[1],
        country=row[2],
        purposes=tuple(row[3].split()),
        categories=tuple(row[4].split()),
        subject_key=row[5],
        subject_keys=tuple(row[6].split()),
        message_id=row[7],
        idempotency_key=row[8],
        policy_version=row[9],
        consent=orjson.loads(row[10]),
    )


class SqliteLedger:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def query(
        self,
        *,
        subject_keys: Sequence[str] | None = None,
        destination: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 1000,
    ) -> list[ProvisionRecord]:
        clauses: list[str] = []
        params: list[Any] = []
        if subject_keys is not None:
            clauses.append(
                "id IN (SELECT ledger_id FROM ledger_subject "
                f"WHERE subject_key IN ({_marks(subject_keys) or 'NULL'}))"
            )
            params += list(subject_keys)
        for clause, value in (
            ("destination = ?", destination),
            ("delivered_at >= ?", since),
            ("delivered_at < ?", until),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._store.read(
            "SELECT delivered_at, destination, country, purposes, categories, subject_key, "
            "subject_keys, message_id, idempotency_key, policy_version, consent "
            f"FROM ledger{where} ORDER BY delivered_at, id LIMIT ?",
            [*params, limit],
        )
        return [_record(r) for r in rows]

    async def purge(self, before: float) -> int:
        return await self._store.write(
            lambda conn: (
                conn.execute("DELETE FROM ledger WHERE delivered_at < ?", (before,)).rowcount
            )
        )
