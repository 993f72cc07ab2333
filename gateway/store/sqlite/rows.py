"""Outbox entries as rows: the columns the outbox and dead-letter tables share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from gateway.store.types import OutboxItem

ITEM_COLUMNS = (
    "destination, idempotency_key, message_id, source_id, subject_keys, payload, meta, created_at"
)


def item_row(item: OutboxItem) -> tuple[Any, ...]:
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


def item_of(row: Sequence[Any]) -> OutboxItem:
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


def marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))
