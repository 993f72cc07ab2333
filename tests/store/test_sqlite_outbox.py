"""SQLite outbox specifics beyond the shared conformance suite: group commit, durability
across a killed process, savepoint isolation, lease/attempt bookkeeping, dead-letter
replay, subject erasure and the dedupe window, on a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gateway.errors import StoreUnavailable
from gateway.store.sqlite import SqliteStore
from gateway.store.sqlite import enqueue as sqlite_module
from gateway.store.types import Dedupe, OutboxItem, ProvisionRecord


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    made = SqliteStore(tmp_path / "outbox.db")
    yield made
    await made.aclose()


def item(
    message_id: str,
    destination: str = "hook",
    subjects: tuple[str, ...] = ("a_1",),
    created_at: float | None = None,
) -> OutboxItem:
    return OutboxItem(
        destination=destination,
        idempotency_key=f"msg_{message_id}_{destination}",
        message_id=message_id,
        source_id="web",
        subject_keys=subjects,
        payload={"event": "Viewed", "properties": {"n": message_id, "list": [1, "two"]}},
        meta={"policy_version": "v1", "country": "US", "purposes": ["analytics"]},
        created_at=time.time() if created_at is None else created_at,
    )


def record(entry: OutboxItem, at: float) -> ProvisionRecord:
    return ProvisionRecord(
        delivered_at=at,
        destination=entry.destination,
        country="US",
        purposes=("analytics",),
        categories=("browsing_history", "identifiers"),
        subject_key=entry.subject_keys[0],
        subject_keys=entry.subject_keys,
        message_id=entry.message_id,
        idempotency_key=entry.idempotency_key,
        policy_version="v1",
        consent={"analytics": True},
    )


def rows(path: Path, sql: str) -> list[Any]:
    """Read through a separate connection: what is on disk, not what a cache holds."""
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


async def test_the_database_is_wal_with_full_fsync(store: SqliteStore) -> None:
    assert rows(store.path, "PRAGMA journal_mode") == [("wal",)]
    writer_sync = await store.write(lambda c: c.execute("PRAGMA synchronous").fetchone()[0])
    assert writer_sync == 2  # FULL


async def test_an_item_round_trips_unchanged(store: SqliteStore) -> None:
    sent = item("m1", subjects=("u_1", "a_1", "d_1"))
    await store.outbox.enqueue([sent])
    [claimed] = await store.outbox.claim("hook", 10, 30)
    assert claimed.item == sent
    assert claimed.attempts == 0


async def test_concurrent_enqueues_share_commits_and_are_all_on_disk(store: SqliteStore) -> None:
    groups: list[int] = []
    commit = store._writer._commit

    def counting(group: list[Any]) -> Any:
        groups.append(len(group))
        return commit(group)

    store._writer._commit = counting  # type: ignore[method-assign]
    results = await asyncio.gather(*(store.outbox.enqueue([item(f"m{i}")]) for i in range(200)))
    assert results == [set()] * 200
    assert rows(store.path, "SELECT COUNT(DISTINCT message_id) FROM outbox") == [(200,)]
    # Enqueues of one moment are one writer job (enqueue.py), so one commit here.
    assert 1 <= sum(groups) < 200, "concurrent enqueues were not grouped into shared commits"
    assert len(groups) < 200


async def test_enqueues_of_one_moment_dedupe_against_each_other_and_the_store(
    store: SqliteStore,
) -> None:
    """Within one writer job the first request to name a messageId takes it; a later one
    (in the same job or after) gets it back as a duplicate; a repeat inside one request is
    not its own duplicate; an expired marker is taken anew."""
    window = Dedupe((("web", "a"), ("web", "a")), 60)
    first, second, other = await asyncio.gather(
        store.outbox.enqueue([item("a")], window),
        store.outbox.enqueue([item("a")], Dedupe((("web", "a"),), 60)),
        store.outbox.enqueue([item("b")], Dedupe((("web", "b"),), 60)),
    )
    assert (first, second, other) == (set(), {"a"}, set())
    assert await store.outbox.enqueue([item("b")], Dedupe((("web", "b"),), 60)) == {"b"}
    assert await store.outbox.enqueue([item("c")], Dedupe((("app", "b"),), 60)) == set()
    expired = Dedupe((("web", "z"),), 0)
    assert await store.outbox.enqueue([item("z")], expired) == set()
    assert await store.outbox.enqueue([item("z")], Dedupe((("web", "z"),), 60)) == set()
    assert rows(store.path, "SELECT message_id FROM outbox ORDER BY id") == [
        ("a",), ("b",), ("c",), ("z",), ("z",)
    ]


async def test_a_failing_write_does_not_undo_the_others_in_its_group(
    store: SqliteStore,
) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO outbox (destination) VALUES ('half a row')")

    results = await asyncio.gather(
        *(store.outbox.enqueue([item(f"m{i}")]) for i in range(20)),
        store.write(broken),
        *(store.outbox.enqueue([item(f"n{i}")]) for i in range(20)),
        return_exceptions=True,
    )
    assert isinstance(results[20], StoreUnavailable)
    assert [r for i, r in enumerate(results) if i != 20] == [set()] * 40
    assert rows(store.path, "SELECT COUNT(*) FROM outbox") == [(40,)]


async def test_an_acknowledged_enqueue_survives_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    script = textwrap.dedent(
        f"""
        import asyncio, os, signal, sys, time
        from gateway.store.sqlite import SqliteStore
        from gateway.store.types import OutboxItem

        async def main():
            store = SqliteStore({str(path)!r})
            now = time.time()
            items = [
                OutboxItem("hook", f"k{{i}}", f"m{{i}}", "web", ("a_1",), {{"i": i}}, {{}}, now)
                for i in range(50)
            ]
            await asyncio.gather(*(store.outbox.enqueue([it]) for it in items))
            print("acknowledged", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "acknowledged", done.stderr
    assert done.returncode == -9
    reopened = SqliteStore(path)
    try:
        claimed = await reopened.outbox.claim("hook", 100, 30)
    finally:
        await reopened.aclose()
    assert sorted(int(c.item.message_id[1:]) for c in claimed) == list(range(50))


async def test_claims_come_oldest_first_and_respect_the_limit(store: SqliteStore) -> None:
    await store.outbox.enqueue([item(f"m{i}") for i in range(5)])
    first = await store.outbox.claim("hook", 2, 30)
    second = await store.outbox.claim("hook", 10, 30)
    assert sorted(c.item.message_id for c in first) == ["m0", "m1"]
    assert sorted(c.item.message_id for c in second) == ["m2", "m3", "m4"]
    assert await store.outbox.claim("elsewhere", 10, 30) == []


async def test_an_expired_lease_is_claimable_again_without_counting_an_attempt(
    store: SqliteStore,
) -> None:
    await store.outbox.enqueue([item("m1")])
    [first] = await store.outbox.claim("hook", 10, 0.2)
    await asyncio.sleep(0.3)
    [second] = await store.outbox.claim("hook", 10, 30)
    assert second.ref.split("@")[0] == first.ref.split("@")[0]  # the same row, a new lease
    assert second.attempts == 0
    # The late first holder still completes: the row is gone once, the provision recorded.
    await store.outbox.delivered([first], [record(first.item, time.time())])
    assert await store.outbox.claim("hook", 10, 0) == []
    assert len(await store.ledger.query(destination="hook")) == 1


async def test_retries_count_attempts_and_dead_letters_keep_the_count(
    store: SqliteStore,
) -> None:
    await store.outbox.enqueue([item("m1")])
    for expected in range(3):
        [entry] = await store.outbox.claim("hook", 10, 30)
        assert entry.attempts == expected
        await store.outbox.retry_later(entry, 0, f"answer {expected}")
    assert rows(store.path, "SELECT last_error FROM outbox") == [("answer 2",)]
    [entry] = await store.outbox.claim("hook", 10, 30)
    await store.outbox.dead_letter(entry, "gave up after 4 attempts")
    [letter] = await store.dead_letters.entries(None, 10)
    assert (letter.attempts, letter.reason) == (4, "gave up after 4 attempts")
    assert letter.item == entry.item
    # Dead-lettering an entry that is no longer in the outbox changes nothing.
    await store.outbox.dead_letter(entry, "again")
    assert len(await store.dead_letters.entries(None, 10)) == 1


async def test_replay_keeps_the_key_and_starts_the_attempts_over(store: SqliteStore) -> None:
    await store.outbox.enqueue([item("m1"), item("m2"), item("m3", destination="ads")])
    for destination in ("hook", "ads"):
        for entry in await store.outbox.claim(destination, 10, 30):
            await store.outbox.retry_later(entry, 0, "500")
    for destination in ("hook", "ads"):
        for entry in await store.outbox.claim(destination, 10, 30):
            await store.outbox.dead_letter(entry, "gave up")
    letters = {d.item.message_id: d for d in await store.dead_letters.entries(None, 10)}
    assert {d.attempts for d in letters.values()} == {2}
    assert [d.item.message_id for d in await store.dead_letters.entries("ads", 10)] == ["m3"]

    assert await store.dead_letters.replay(None, [letters["m2"].ref]) == 1
    [back] = await store.outbox.claim("hook", 10, 30)
    assert back.item == letters["m2"].item
    assert back.attempts == 0
    assert await store.dead_letters.replay("ads", None) == 1
    assert [c.item.idempotency_key for c in await store.outbox.claim("ads", 10, 30)] == [
        "msg_m3_ads"
    ]
    assert [d.item.message_id for d in await store.dead_letters.entries(None, 10)] == ["m1"]
    assert await store.dead_letters.drop("ads", None) == 0
    assert await store.dead_letters.drop(None, [letters["m1"].ref]) == 1
    assert await store.dead_letters.entries(None, 10) == []


async def test_stats_cover_pending_age_and_dead_letters(store: SqliteStore) -> None:
    old = time.time() - 120
    await store.outbox.enqueue([item("m1", created_at=old), item("m2"), item("m3", "ads")])
    [entry] = await store.outbox.claim("ads", 10, 30)
    await store.outbox.dead_letter(entry, "400")
    stats = await store.outbox.stats(["hook", "ads", "idle"])
    assert stats["hook"].pending == 2
    assert 119 <= stats["hook"].oldest_age_seconds < 200
    assert (stats["ads"].pending, stats["ads"].dead_letters) == (0, 1)
    assert (stats["idle"].pending, stats["idle"].oldest_age_seconds) == (0, 0.0)


async def test_forget_subject_matches_whole_keys_only(store: SqliteStore) -> None:
    await store.outbox.enqueue(
        [
            item("m1", subjects=("u_abc", "a_xyz")),
            item("m2", subjects=("uXabc",)),
            item("m3", subjects=("u_abcd",)),
            item("m4", subjects=("a_1",)),
        ]
    )
    assert await store.erasure.forget_pending(["u_abc"], None) == 1
    assert await store.erasure.forget_pending(["a_xy%"], None) == 0
    left = sorted(c.item.message_id for c in await store.outbox.claim("hook", 10, 30))
    assert left == ["m2", "m3", "m4"]


async def test_a_duplicate_is_accepted_again_once_the_window_passes(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    dedupe = Dedupe((("web", "m1"), ("web", "m2")), 60)
    assert await store.outbox.enqueue([item("m1"), item("m2")], dedupe) == set()
    assert await store.outbox.enqueue([item("m1"), item("m2")], dedupe) == {"m1", "m2"}
    other_source = Dedupe((("app", "m1"),), 60)
    assert await store.outbox.enqueue([item("m1", "ads")], other_source) == set()
    later = time.time() + 61
    monkeypatch.setattr(sqlite_module, "time", SimpleNamespace(time=lambda: later))
    assert await store.outbox.enqueue([item("m1")], Dedupe((("web", "m1"),), 60)) == set()
    hook = "SELECT message_id FROM outbox WHERE destination = 'hook' ORDER BY message_id"
    assert rows(store.path, hook) == [("m1",), ("m1",), ("m2",)]


async def test_the_ledger_is_queryable_by_any_subject_key_destination_and_time(
    store: SqliteStore,
) -> None:
    entries = [
        item("m1", subjects=("u_1", "a_1")),
        item("m2", subjects=("a_1",)),
        item("m3", "ads", subjects=("u_2",)),
    ]
    await store.outbox.enqueue(entries)
    claimed = [*await store.outbox.claim("hook", 10, 30), *await store.outbox.claim("ads", 10, 30)]
    base = 1_700_000_000.0
    by_message = {c.item.message_id: c for c in claimed}
    for offset, message_id in enumerate(("m1", "m2", "m3")):
        entry = by_message[message_id]
        await store.outbox.delivered([entry], [record(entry.item, base + offset)])
    ledger = store.ledger
    assert [r.message_id for r in await ledger.query(subject_keys=["a_1"])] == ["m1", "m2"]
    assert [r.message_id for r in await ledger.query(subject_keys=["u_1"])] == ["m1"]
    assert await ledger.query(subject_keys=[]) == []
    assert [r.message_id for r in await ledger.query(destination="ads")] == ["m3"]
    window = await ledger.query(since=base + 1, until=base + 2)
    assert [r.message_id for r in window] == ["m2"]
    assert len(await ledger.query(limit=2)) == 2
    [first] = await ledger.query(subject_keys=["u_1"])
    assert first == record(by_message["m1"].item, base)
    assert await ledger.purge(base + 1) == 1
    assert rows(store.path, "SELECT COUNT(*) FROM ledger_subject") == [(2,)]


def test_an_unopenable_database_is_store_unavailable(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreUnavailable, match="cannot open SQLite database"):
        SqliteStore(tmp_path / "dir.db")


async def test_a_cancelled_write_does_not_stop_the_writer(store: SqliteStore) -> None:
    """A caller cancelled while its write waits (a worker stopping, a request gone) must not
    kill the writer thread: every later write would hang and the edge could not even 503."""

    def slow(conn: sqlite3.Connection) -> None:
        time.sleep(0.2)

    busy = asyncio.ensure_future(store.write(slow))
    await asyncio.sleep(0.05)
    cancelled = asyncio.ensure_future(store.outbox.enqueue([item("never")]))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await busy
    assert await asyncio.wait_for(store.outbox.enqueue([item("after")]), 5) == set()
    assert rows(store.path, "SELECT message_id FROM outbox") == [("after",)]


async def test_a_stale_holder_cannot_undo_what_the_new_holder_did(store: SqliteStore) -> None:
    """Regression: worker A's lease ran out, B re-claimed and delivered; A's late
    dead-letter (or retry) used to resurrect the entry for a second delivery."""
    await store.outbox.enqueue([item("lease-1")])
    [stale] = await store.outbox.claim("hook", 10, 0.1)
    await asyncio.sleep(0.2)
    [fresh] = await store.outbox.claim("hook", 10, 30)
    await store.outbox.delivered([fresh], [])
    await store.outbox.dead_letter(stale, "destination answered 400")
    await store.outbox.retry_later(stale, 0, "destination answered 500")
    assert await store.dead_letters.entries(None, 10) == []
    assert rows(store.path, "SELECT COUNT(*) FROM outbox") == [(0,)]
