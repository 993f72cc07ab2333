"""The queue gauges a scaled-out deployment is watched by (gateway_queue_depth,
gateway_queue_oldest_seconds) mean the same on both backends: an entry waiting for its
next attempt still counts, with its original age. (A candidate for the conformance suite.)"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.config.schema import RedisStorage
from gateway.store.types import OutboxItem, Store


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        from gateway.store.sqlite import SqliteStore

        made: Any = SqliteStore(tmp_path / "store.db")
    else:
        from gateway.store.redis import RedisStore

        storage = RedisStorage(backend="redis", url=request.getfixturevalue("redis_url"))
        made = await RedisStore.connect(storage)
    yield made
    await made.aclose()


def item(message_id: str, created_at: float) -> OutboxItem:
    return OutboxItem(
        destination="hook",
        idempotency_key=f"key_{message_id}",
        message_id=message_id,
        source_id="web",
        subject_keys=("a_1",),
        payload={"n": message_id},
        meta={},
        created_at=created_at,
    )


async def test_an_entry_waiting_for_a_retry_keeps_its_age_in_the_stats(store: Store) -> None:
    now = time.time()
    await store.outbox.enqueue([item("old", now - 600), item("new", now - 5)])
    (old,) = [c for c in await store.outbox.claim("hook", 10, 30) if c.item.message_id == "old"]
    await store.outbox.retry_later(old, 300, "destination answered 503")

    stats = (await store.outbox.stats(["hook"]))["hook"]

    assert stats.pending == 2
    assert 590 <= stats.oldest_age_seconds <= 700


async def test_the_age_follows_the_entry_back_out_of_the_retry_set(store: Store) -> None:
    now = time.time()
    await store.outbox.enqueue([item("old", now - 600)])
    (old,) = await store.outbox.claim("hook", 10, 30)
    await store.outbox.retry_later(old, 0, "destination answered 503")
    (again,) = await store.outbox.claim("hook", 10, 30)
    await store.outbox.delivered([again], [])

    stats = (await store.outbox.stats(["hook"]))["hook"]

    assert stats.pending == 0
    assert stats.oldest_age_seconds < 5
