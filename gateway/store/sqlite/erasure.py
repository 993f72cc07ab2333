"""A subject's not-yet-delivered payloads, dead letters and dedupe markers, removed on a
deletion or suspension request."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gateway.store.sqlite.rows import marks

if TYPE_CHECKING:
    from gateway.store.sqlite.store import SqliteStore


class SqliteErasure:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def forget_pending(
        self, subject_keys: Sequence[str], destinations: Sequence[str] | None
    ) -> int:
        return await self._forget("outbox", subject_keys, destinations)

    async def forget_dead(
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
                    sql += f" AND destination IN ({marks(destinations)})"
                    params += list(destinations)
                total += conn.execute(sql, params).rowcount
            return total

        return await self._store.write(op)

    async def forget_dedupe(self, source_ids: Sequence[str], message_ids: Sequence[str]) -> int:
        if not message_ids:
            return 0

        def op(conn: sqlite3.Connection) -> int:
            return conn.execute(
                f"DELETE FROM dedupe WHERE message_id IN ({marks(message_ids)})",
                list(message_ids),
            ).rowcount

        return await self._store.write(op)
