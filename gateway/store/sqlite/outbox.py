"""The queue on SQLite: enqueue with dedupe, leased claims, retries and verdicts; and the
upkeep of the dedupe markers."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gateway.store.sqlite.enqueue import Coalescer
from gateway.store.sqlite.ledger import insert_record
from gateway.store.sqlite.rows import ITEM_COLUMNS, item_of, item_row
from gateway.store.types import Claimed, Dedupe, OutboxItem, ProvisionRecord, QueueStats

if TYPE_CHECKING:
    from gateway.store.sqlite.store import SqliteStore


class SqliteOutbox:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._coalescer = Coalescer(store.write)

    async def enqueue(self, items: Sequence[OutboxItem], dedupe: Dedupe | None = None) -> set[str]:
        """Committed with the other requests of the same moment (enqueue.py)."""
        return await self._coalescer.enqueue([item_row(item) for item in items], dedupe)

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
        return [Claimed(ref=f"{r[0]}@{lease!r}", item=item_of(r[1:9]), attempts=r[9]) for r in rows]

    async def delivered(
        self, entries: Sequence[Claimed], records: Sequence[ProvisionRecord]
    ) -> None:
        # Not fenced: whoever holds the entry now, it has been delivered, and removing it
        # spares the vendor a second copy.
        ids = [(_held(e)[0],) for e in entries]

        def op(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM outbox WHERE id = ?", ids)
            for record in records:
                insert_record(conn, record)

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


class SqliteDedupe:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def purge(self, now: float) -> int:
        return await self._store.write(
            lambda conn: conn.execute("DELETE FROM dedupe WHERE expires_at <= ?", (now,)).rowcount
        )


def _held(entry: Claimed) -> tuple[int, float]:
    """(row id, lease end) of a claimed entry's ref."""
    row, _, lease = entry.ref.partition("@")
    return int(row), float(lease)
