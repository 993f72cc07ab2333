"""The provision ledger on SQLite (APPI art. 29): one row per provision, indexed by every
subject key it concerns."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from gateway.store.sqlite.rows import marks
from gateway.store.types import ProvisionRecord

if TYPE_CHECKING:
    from gateway.store.sqlite.store import SqliteStore


def insert_record(conn: sqlite3.Connection, record: ProvisionRecord) -> None:
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
                f"WHERE subject_key IN ({marks(subject_keys) or 'NULL'}))"
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
