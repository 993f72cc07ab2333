"""The live debugger's buffer, both kinds on one protocol: in memory, and the Redis stream
the nodes share (a real redis-server). Bounded, short-lived, newest first, fed to
listeners, cleared when switched off."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from gateway.config.schema import RedisStorage
from gateway.observability.debugger import DebugBuffer, Debugger, id_order


@pytest.fixture(params=["memory", "redis"])
async def buffers(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], Debugger]]:
    """A factory: each call is another node's buffer (in memory: the same process's)."""
    made: list[Debugger] = []
    stores: list[Any] = []
    if request.param == "memory":
        buffer = DebugBuffer()
        made.append(buffer)
        yield lambda: buffer
    else:
        from gateway.store.redis import RedisStore
        from gateway.store.redis.debugger import RedisDebugBuffer

        storage = RedisStorage(backend="redis", url=request.getfixturevalue("redis_url"))

        async def connect() -> None:
            stores.append(await RedisStore.connect(storage))

        await connect()
        await connect()

        def node() -> Debugger:
            made.append(RedisDebugBuffer(stores[len(made) % 2]))
            return made[-1]

        yield node
    for buffer in made:
        await buffer.aclose()
    for store in stores:
        await store.aclose()


async def settled(buffer: Debugger, count: int, lifetime: float = 60) -> list[dict[str, Any]]:
    """What `recent` shows once `count` entries have reached it (the Redis one writes in the
    background)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = await buffer.recent(lifetime, limit=1000)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"fewer than {count} entries arrived")


async def test_the_buffer_keeps_the_newest_within_its_size(
    buffers: Callable[[], Debugger],
) -> None:
    writer, reader = buffers(), buffers()
    for n in range(5):
        writer.add({"source": "web" if n % 2 else "app", "n": n}, capacity=3, lifetime=60)
    await settled(reader, 3)
    await asyncio.sleep(0.1)  # nothing more is on its way
    assert [e["n"] for e in await reader.recent(60)] == [4, 3, 2]
    assert [e["n"] for e in await reader.recent(60, source="web")] == [3]
    assert [e["n"] for e in await reader.recent(60, limit=1)] == [4]
    ids = [id_order(e["id"]) for e in await reader.recent(60)]
    assert ids == sorted(ids, reverse=True)


async def test_entries_leave_after_their_lifetime(buffers: Callable[[], Debugger]) -> None:
    writer, reader = buffers(), buffers()
    writer.add({"source": "web", "n": 1}, capacity=10, lifetime=1)
    assert [e["n"] for e in await settled(reader, 1, lifetime=1)] == [1]
    await asyncio.sleep(1.1)
    assert await reader.recent(1) == []
    writer.add({"source": "web", "n": 2}, capacity=10, lifetime=1)
    assert [e["n"] for e in await settled(reader, 1, lifetime=1)] == [2]


async def test_listeners_get_each_new_entry_and_a_slow_one_is_bounded(
    buffers: Callable[[], Debugger],
) -> None:
    writer, reader = buffers(), buffers()
    queue = reader.listen(2)
    await asyncio.sleep(0.2)  # the Redis reader is waiting in XREAD
    for n in range(5):
        writer.add({"source": "web", "n": n}, capacity=10, lifetime=60)
    await settled(reader, 5)
    await asyncio.sleep(0.2)
    assert queue.qsize() == 2  # it did not read: it loses events rather than grow
    assert queue.get_nowait()["n"] == 0
    reader.unlisten(queue)
    writer.add({"source": "web", "n": 9}, capacity=10, lifetime=60)
    await settled(reader, 6)
    await asyncio.sleep(0.2)
    assert queue.qsize() == 1


async def test_clear_forgets_every_entry(buffers: Callable[[], Debugger]) -> None:
    writer, reader = buffers(), buffers()
    for n in range(3):
        writer.add({"source": "web", "n": n}, capacity=10, lifetime=60)
    await settled(reader, 3)
    writer.clear()
    deadline = time.monotonic() + 5
    while await reader.recent(60) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert await reader.recent(60) == []


async def test_ids_go_on_from_the_clock_and_order_within_one_millisecond() -> None:
    now = [1000.0]
    buffer = DebugBuffer(lambda: now[0])
    for _ in range(3):
        buffer.add({"source": "web"}, capacity=10, lifetime=60)
    now[0] = 999.0  # the clock stepped back: ids still go forward
    buffer.add({"source": "web"}, capacity=10, lifetime=60)
    ids = [e["id"] for e in reversed(await buffer.recent(60))]
    assert ids == ["1000000-0", "1000000-1", "1000000-2", "1000000-3"]
