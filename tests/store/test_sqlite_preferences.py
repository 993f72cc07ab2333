"""The SQLite preferences cache: a write by any other connection (another process) is seen
by the very next lookup, while outbox traffic does not clear the cache."""

from __future__ import annotations

import time
from pathlib import Path

from gateway.store.sqlite import SqliteStore
from gateway.store.sqlite.preferences import SqlitePreferences, preferences_path
from gateway.store.types import ConsentChange


def change(subject: str) -> ConsentChange:
    return ConsentChange(time.time(), subject, {}, {"advertising": False}, "api", "v1")


async def test_a_write_by_another_connection_is_seen_by_the_next_lookup(tmp_path: Path) -> None:
    path = preferences_path(tmp_path / "gateway.db")
    node_a, node_b = SqlitePreferences(path), SqlitePreferences(path)
    try:
        assert await node_a.get_many(["a_1"]) == {}  # cached as "nothing stored"
        await node_b.put(["a_1"], {"purposes": {"advertising": False}}, change("a_1"))
        assert await node_a.get_many(["a_1"]) == {"a_1": {"purposes": {"advertising": False}}}
        await node_b.delete(["a_1"])
        assert await node_a.get_many(["a_1"]) == {}
    finally:
        await node_a.aclose()
        await node_b.aclose()


async def test_outbox_writes_leave_the_preferences_cache_alone(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "gateway.db")
    try:
        await store.preferences.put(["a_1"], {"purposes": {}}, change("a_1"))
        await store.preferences.get_many(["a_1"])
        version = store.preferences._version
        from tests.store.test_conformance import item

        await store.outbox.enqueue([item("m1")])
        await store.preferences.get_many(["a_1"])
        assert store.preferences._version == version
        assert "a_1" in store.preferences._cache
    finally:
        await store.aclose()
