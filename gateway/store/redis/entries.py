"""Outbox entries as Redis stores them (one JSON document per stream entry or retry
member), their refs, and the destinations that have a queue or dead letters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from gateway.store.types import OutboxItem

if TYPE_CHECKING:
    from gateway.store.redis.store import RedisStore

GROUP = "workers"


def encode_item(item: OutboxItem, attempts: int = 0) -> bytes:
    return orjson.dumps(
        {
            "destination": item.destination,
            "idempotency_key": item.idempotency_key,
            "message_id": item.message_id,
            "source_id": item.source_id,
            "subject_keys": list(item.subject_keys),
            "payload": item.payload,
            "meta": item.meta,
            "created_at": item.created_at,
            "attempts": attempts,
        }
    )


def decode_item(data: bytes) -> tuple[OutboxItem, int, dict[str, Any]]:
    raw = orjson.loads(data)
    item = OutboxItem(
        destination=raw["destination"],
        idempotency_key=raw["idempotency_key"],
        message_id=raw["message_id"],
        source_id=raw["source_id"],
        subject_keys=tuple(raw["subject_keys"]),
        payload=raw["payload"],
        meta=raw["meta"],
        created_at=raw["created_at"],
    )
    return item, int(raw.get("attempts", 0)), raw


def ref(destination: str, entry_id: bytes | str) -> str:
    entry = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return f"{destination}\x1f{entry}"


def split_ref(ref: str) -> tuple[str, str]:
    destination, _, entry_id = ref.rpartition("\x1f")
    return destination, entry_id


async def queues(store: RedisStore, kind: str) -> list[str]:
    """Destinations with a key of this kind ("out": a queue, "dead": dead letters)."""
    found = []
    async for key in store.client.scan_iter(match=store.key(kind, "*"), count=500):
        found.append(key.decode().rpartition(f":{kind}:")[2])
    return found
