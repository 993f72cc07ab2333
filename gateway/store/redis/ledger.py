"""The provision ledger on Redis: records in one hash, indexed by time, destination and
subject key in sorted sets (see store.py for the key layout)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from gateway.store.types import ProvisionRecord

if TYPE_CHECKING:
    from gateway.store.redis.store import RedisStore


class RedisLedger:
    def __init__(self, store: RedisStore) -> None:
        self._s = store

    def add(self, pipe: Any, record: ProvisionRecord) -> None:
        """Queue the writes of one record on a (transactional) pipeline."""
        # One record per delivery: a second delivery of the same key in the same round
        # must not overwrite the first (a random part, not only time and key).
        record_id = f"{record.delivered_at:.6f}:{record.idempotency_key}:{uuid.uuid4().hex[:12]}"
        data = orjson.dumps(
            {
                **record.as_dict(),
                "subject_keys": list(record.subject_keys),
            }
        )
        pipe.hset(self._s.key("ledger", "rec"), record_id, data)
        pipe.zadd(self._s.key("ledger", "time"), {record_id: record.delivered_at})
        pipe.zadd(
            self._s.key("ledger", "dest", record.destination), {record_id: record.delivered_at}
        )
        for key in {record.subject_key, *record.subject_keys}:
            if key:
                pipe.zadd(self._s.key("ledger", "subj", key), {record_id: record.delivered_at})

    async def query(
        self,
        *,
        subject_keys: Sequence[str] | None = None,
        destination: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 1000,
    ) -> list[ProvisionRecord]:
        low = since if since is not None else "-inf"
        high = f"({until}" if until is not None else "+inf"
        if subject_keys is not None:
            index_keys = [self._s.key("ledger", "subj", k) for k in subject_keys]
        elif destination is not None:
            index_keys = [self._s.key("ledger", "dest", destination)]
        else:
            index_keys = [self._s.key("ledger", "time")]
        ids: dict[bytes, None] = {}
        for index in index_keys:
            found = await self._s.call(self._s.client.zrangebyscore(index, low, high))
            ids.update(dict.fromkeys(found))
        if not ids:
            return []
        rows = await self._s.call(self._s.client.hmget(self._s.key("ledger", "rec"), list(ids)))
        records = [_record(orjson.loads(row)) for row in rows if row]
        if destination is not None:
            records = [r for r in records if r.destination == destination]
        records.sort(key=lambda r: (r.delivered_at, r.idempotency_key))
        return records[:limit]

    async def purge(self, before: float) -> int:
        time_key = self._s.key("ledger", "time")
        ids = await self._s.call(self._s.client.zrangebyscore(time_key, "-inf", f"({before}"))
        if not ids:
            return 0
        rows = await self._s.call(self._s.client.hmget(self._s.key("ledger", "rec"), ids))
        async with self._s.pipe(transaction=True) as pipe:
            for record_id, row in zip(ids, rows, strict=True):
                if row:
                    record = _record(orjson.loads(row))
                    pipe.zrem(self._s.key("ledger", "dest", record.destination), record_id)
                    for key in {record.subject_key, *record.subject_keys}:
                        pipe.zrem(self._s.key("ledger", "subj", key), record_id)
            pipe.hdel(self._s.key("ledger", "rec"), *ids)
            pipe.zrem(time_key, *ids)
            await self._s.call(pipe.execute())
        return len(ids)


def _record(raw: dict[str, Any]) -> ProvisionRecord:
    return ProvisionRecord(
        delivered_at=raw["delivered_at"],
        destination=raw["destination"],
        country=raw["country"],
        purposes=tuple(raw["purposes"]),
        categories=tuple(raw["categories"]),
        subject_key=raw["subject_key"],
        subject_keys=tuple(raw.get("subject_keys", ())),
        message_id=raw["message_id"],
        idempotency_key=raw["idempotency_key"],
        policy_version=raw["policy_version"],
        consent=raw.get("consent", {}),
    )
