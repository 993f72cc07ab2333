"""Dead letters on SQLite: listed, replayed into the outbox, dropped, purged by age."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gateway.store.sqlite.rows import ITEM_COLUMNS, item_of, marks
from gateway.store.types import DeadLetter

if TYPE_CHECKING:
    from gateway.store.sqlite.store import SqliteStore


class SqliteDeadLetters:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def entries(self, destination: str | None, limit: int) -> list[DeadLetter]:
        sql = f"SELECT id, {ITEM_COLUMNS}, attempts, reason, dead_at FROM dead_letter"
        params: list[Any] = []
        if destination:
            sql += " WHERE destination = ?"
            params.append(destination)
        rows = self._store.read(sql + " ORDER BY id LIMIT ?", [*params, limit])
        return [
            DeadLetter(
                ref=str(r[0]), item=item_of(r[1:9]), attempts=r[9], reason=r[10], dead_at=r[11]
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

    async def drop(self, destination: str | None, refs: Sequence[str] | None) -> int:
        where, params = _dead_filter(destination, refs)
        return await self._store.write(
            lambda conn: conn.execute(f"DELETE FROM dead_letter{where}", params).rowcount
        )

    async def purge(self, before: float) -> int:
        return await self._store.write(
            lambda conn: (
                conn.execute("DELETE FROM dead_letter WHERE dead_at < ?", (before,)).rowcount
            )
        )


def _dead_filter(destination: str | None, refs: Sequence[str] | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if destination:
        clauses.append("destination = ?")
        params.append(destination)
    if refs is not None:
        clauses.append(f"id IN ({marks(refs)})")
        params += [int(r) for r in refs]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params
