"""One conformance suite for the store interfaces, run against SQLite and a real Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.config.schema import RedisStorage
from gateway.errors import StoreUnavailable
from gateway.store.types import ConsentChange, Dedupe, OutboxItem, ProvisionRecord, Store


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        from gateway.store.sqlite import SqliteStore

        made: Any = SqliteStore(tmp_path / "store.db")
    else:
        from gateway.store.redis import RedisStore

        url = request.getfixturevalue("redis_url")
        storage = RedisStorage(backend="redis", url=url, claim_idle_seconds=0.3)
        made = await RedisStore.connect(storage)
    yield made
    await made.aclose()


def item(
    message_id: str, destination: str = "hook", subject: str = "a_1", **meta: Any
) -> OutboxItem:
    return OutboxItem(
        destination=destination,
        idempotency_key=f"msg_{message_id}_{destination}",
        message_id=message_id,
        source_id="web",
        subject_keys=(subject,),
        payload={"event": "Viewed", "n": message_id},
        meta={"policy_version": "v1", "country": "JP", "purposes": ["analytics"], **meta},
        created_at=time.time(),
    )


def record(entry_item: OutboxItem, at: float) -> ProvisionRecord:
    return ProvisionRecord(
        delivered_at=at,
        destination=entry_item.destination,
        country="JP",
        purposes=("analytics",),
        categories=("browsing_history",),
        subject_key=entry_item.subject_keys[0],
        subject_keys=entry_item.subject_keys,
        message_id=entry_item.message_id,
        idempotency_key=entry_item.idempotency_key,
        policy_version="v1",
        consent={"analytics": True},
    )


async def test_enqueue_then_claim_returns_the_items(store: Store) -> None:
    await store.outbox.enqueue([item("m1"), item("m2"), item("m3", destination="other")])
    claimed = await store.outbox.claim("hook", 10, 30)
    assert sorted(c.item.message_id for c in claimed) == ["m1", "m2"]
    assert all(c.attempts == 0 for c in claimed)
    assert claimed[0].item.payload["event"] == "Viewed"
    assert [c.item.message_id for c in await store.outbox.claim("other", 10, 30)] == ["m3"]


async def test_a_claim_is_leased_until_it_expires(store: Store) -> None:
    await store.outbox.enqueue([item("m1")])
    assert len(await store.outbox.claim("hook", 10, 0.3)) == 1
    assert await store.outbox.claim("hook", 10, 0.3) == []
    await asyncio.sleep(0.5)
    again = await store.outbox.claim("hook", 10, 0.3)
    assert [c.item.message_id for c in again] == ["m1"]


async def test_delivered_removes_entries_and_writes_the_ledger(store: Store) -> None:
    await store.outbox.enqueue([item("m1", subject="a_x"), item("m2", subject="a_y")])
    claimed = await store.outbox.claim("hook", 10, 30)
    now = time.time()
    await store.outbox.delivered(claimed, [record(c.item, now) for c in claimed])
    await asyncio.sleep(0.5)
    assert await store.outbox.claim("hook", 10, 0.3) == []
    mine = await store.ledger.query(subject_keys=["a_x"])
    assert [r.message_id for r in mine] == ["m1"]
    assert mine[0].categories == ("browsing_history",)
    assert len(await store.ledger.query(destination="hook")) == 2
    assert await store.ledger.query(destination="hook", since=now + 1) == []
    assert await store.ledger.purge(now + 1) == 2
    assert await store.ledger.query() == []


async def test_retry_later_hides_the_entry_until_due_and_counts_the_attempt(store: Store) -> None:
    await store.outbox.enqueue([item("m1")])
    [entry] = await store.outbox.claim("hook", 10, 30)
    await store.outbox.retry_later(entry, 0.3, "destination answered 500")
    assert await store.outbox.claim("hook", 10, 30) == []
    await asyncio.sleep(0.4)
    [again] = await store.outbox.claim("hook", 10, 30)
    assert again.attempts == 1
    assert again.item.idempotency_key == entry.item.idempotency_key


async def test_dead_letters_can_be_listed_replayed_and_dropped(store: Store) -> None:
    await store.outbox.enqueue([item("m1"), item("m2")])
    first, second = await store.outbox.claim("hook", 10, 30)
    await store.outbox.dead_letter(first, "destination answered 400")
    await store.outbox.dead_letter(second, "destination answered 410")
    letters = await store.dead_letters.entries("hook", 10)
    assert sorted(d.reason for d in letters) == [
        "destination answered 400",
        "destination answered 410",
    ]
    assert (await store.outbox.stats(["hook"]))["hook"].dead_letters == 2
    replayed = await store.dead_letters.replay("hook", [letters[0].ref])
    assert replayed == 1
    [back] = await store.outbox.claim("hook", 10, 30)
    assert back.item.idempotency_key == letters[0].item.idempotency_key
    assert await store.dead_letters.drop("hook", None) == 1
    assert await store.dead_letters.entries(None, 10) == []


async def test_old_dead_letters_are_purged(store: Store) -> None:
    await store.outbox.enqueue([item("m1")])
    [entry] = await store.outbox.claim("hook", 10, 30)
    await store.outbox.dead_letter(entry, "destination answered 400")
    assert await store.dead_letters.purge(time.time() - 60) == 0
    assert len(await store.dead_letters.entries("hook", 10)) == 1
    assert await store.dead_letters.purge(time.time() + 1) == 1
    assert await store.dead_letters.entries("hook", 10) == []


async def test_a_subjects_dead_letters_can_be_forgotten(store: Store) -> None:
    await store.outbox.enqueue([item("m1", subject="a_gone"), item("m2", subject="a_kept")])
    for entry in await store.outbox.claim("hook", 10, 30):
        await store.outbox.dead_letter(entry, "destination answered 400")
    assert await store.erasure.forget_dead(["a_gone"], ["other"]) == 0
    assert await store.erasure.forget_dead(["a_gone"], None) == 1
    assert [d.item.message_id for d in await store.dead_letters.entries(None, 10)] == ["m2"]


async def test_two_deliveries_of_one_key_in_one_round_are_two_records(store: Store) -> None:
    entry_item = item("m1")
    now = time.time()
    await store.outbox.delivered([], [record(entry_item, now), record(entry_item, now)])
    assert len(await store.ledger.query(destination="hook")) == 2


async def test_dedupe_skips_a_message_seen_within_the_window(store: Store) -> None:
    dedupe = Dedupe((("web", "m1"),), 60)
    assert await store.outbox.enqueue([item("m1")], dedupe) == set()
    assert await store.outbox.enqueue([item("m1"), item("m1", destination="other")], dedupe) == {
        "m1"
    }
    assert len(await store.outbox.claim("hook", 10, 30)) == 1
    assert await store.outbox.claim("other", 10, 30) == []
    assert await store.erasure.forget_dedupe(["web"], ["m1"]) == 1
    assert await store.outbox.enqueue([item("m1")], dedupe) == set()


async def test_forget_subject_removes_only_that_subjects_pending_entries(store: Store) -> None:
    await store.outbox.enqueue(
        [item("m1", subject="a_gone"), item("m2", subject="a_kept"), item("m3", "ads", "a_gone")]
    )
    assert await store.erasure.forget_pending(["a_gone"], ["hook"]) == 1
    assert [c.item.message_id for c in await store.outbox.claim("hook", 10, 30)] == ["m2"]
    assert await store.erasure.forget_pending(["a_gone"], None) == 1
    assert await store.outbox.claim("ads", 10, 30) == []


async def test_stats_count_pending_entries(store: Store) -> None:
    await store.outbox.enqueue([item(f"m{i}") for i in range(5)])
    stats = await store.outbox.stats(["hook", "idle"])
    assert stats["hook"].pending == 5
    assert stats["idle"].pending == 0
    assert stats["hook"].oldest_age_seconds >= 0


async def test_concurrent_enqueues_are_all_durable(store: Store) -> None:
    await asyncio.gather(*(store.outbox.enqueue([item(f"m{i}")]) for i in range(200)))
    claimed = await store.outbox.claim("hook", 500, 30)
    assert len({c.item.message_id for c in claimed}) == 200


async def test_preferences_and_the_consent_log(store: Store) -> None:
    change = ConsentChange(time.time(), "a_1", {}, {"advertising": False}, "api", "v1")
    await store.preferences.put(["a_1", "u_1"], {"purposes": {"advertising": False}}, change)
    later = ConsentChange(
        time.time() + 1, "a_1", {"advertising": False}, {"advertising": True}, "page", "v1"
    )
    await store.preferences.put(["a_1"], {"purposes": {"advertising": True}}, later)
    states = await store.preferences.get_many(["a_1", "u_1", "a_unknown"])
    assert states == {
        "a_1": {"purposes": {"advertising": True}},
        "u_1": {"purposes": {"advertising": False}},
    }
    log = await store.preferences.consent_log(["a_1"])
    assert [c.source for c in log] == ["api", "page"]
    assert await store.preferences.purge_log(later.at) == 1
    assert len(await store.preferences.consent_log(["a_1"])) == 1
    assert await store.preferences.delete(["a_1"]) == 1
    assert await store.preferences.get_many(["a_1"]) == {}


async def test_rate_limiter_allows_the_burst_then_asks_to_wait(store: Store) -> None:
    waits = [await store.limiter.hit("key:web", 1.0, 3) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0 < waits[3] <= 1.0
    assert await store.limiter.hit("key:other", 1.0, 3) == 0.0


async def test_rate_limiter_counts_a_cost_and_checks_without_taking(store: Store) -> None:
    assert await store.limiter.hit("events:web", 1.0, 10, cost=0) == 0.0  # a check
    assert await store.limiter.hit("events:web", 1.0, 10, cost=8) == 0.0
    assert 0 < await store.limiter.hit("events:web", 1.0, 10, cost=5) <= 3.0
    assert await store.limiter.hit("events:web", 1.0, 10, cost=2) == 0.0
    assert await store.limiter.hit("events:web", 1.0, 10, cost=0) > 0  # empty, nothing taken
    # A batch above the burst passes on a full bucket and leaves it in debt.
    assert await store.limiter.hit("events:big", 1.0, 10, cost=50) == 0.0
    assert await store.limiter.hit("events:big", 1.0, 10, cost=1) > 30


async def test_rate_limiter_takes_a_groups_buckets_in_order_in_one_call(store: Store) -> None:
    """hit_all: each bucket as `hit` would take it; the first that must wait stops the rest
    (those before it stay taken); buckets of one group are apart from another group's."""
    key, events = ("key", 1.0, 3, 1), ("events", 1.0, 10, 6)
    assert await store.limiter.hit_all("src:web", [key, events]) == 0.0
    assert await store.limiter.hit_all("src:web", [key, ("events", 1.0, 10, 3)]) == 0.0
    # The event bucket now holds 1: the key charge is taken, then the events wait.
    wait = await store.limiter.hit_all("src:web", [key, events])
    assert 4.0 <= wait <= 5.0
    # The key bucket is empty (three taken), so nothing after it is charged.
    assert 0 < await store.limiter.hit_all("src:web", [key, ("events", 1.0, 10, 1)]) <= 1.0
    assert await store.limiter.hit_all("src:web", [("events", 1.0, 10, 1)]) == 0.0
    assert await store.limiter.hit_all("src:other", [key, events]) == 0.0
    assert await store.limiter.hit_all("src:web", []) == 0.0


async def test_use_once_refuses_a_second_use(store: Store) -> None:
    assert await store.used("csrf:abc") is False
    assert await store.use_once("csrf:abc", 60) is True
    assert await store.used("csrf:abc") is True
    assert await store.use_once("csrf:abc", 60) is False
    assert await store.used("csrf:def") is False
    assert await store.use_once("csrf:def", 60) is True


async def test_a_used_key_is_forgotten_when_its_time_runs_out(store: Store) -> None:
    assert await store.use_once("console-signout:s1", 1) is True
    assert await store.used("console-signout:s1") is True
    await asyncio.sleep(1.2)
    assert await store.used("console-signout:s1") is False


async def test_ping_and_admin_log(store: Store) -> None:
    await store.ping()
    await store.log_admin_action({"action": "disclosure", "token": "ops"})
    assert (await store.admin_log(10))[0]["action"] == "disclosure"


async def test_concurrent_changes_keep_each_others_choices(store: Store) -> None:
    def log(key: str, before: dict[str, Any], after: dict[str, Any]) -> ConsentChange:
        return ConsentChange(time.time(), key, before, after, "api", "v1")

    def refuse(section: str, name: str) -> Any:
        def apply(state: dict[str, Any]) -> dict[str, Any]:
            return {**state, section: {**state.get(section, {}), name: False}}

        return apply

    changes = [refuse("purposes", p) for p in ("analytics", "advertising", "location")]
    changes += [refuse("vendors", v) for v in ("ads", "crm")]
    await asyncio.gather(*(store.preferences.change(["a_1"], c, log) for c in changes * 4))
    state = (await store.preferences.get_many(["a_1"]))["a_1"]
    assert state == {
        "purposes": {"analytics": False, "advertising": False, "location": False},
        "vendors": {"ads": False, "crm": False},
    }
    assert len(await store.preferences.consent_log(["a_1"])) == 20


async def test_two_replays_of_one_dead_letter_queue_one_copy(store: Store) -> None:
    await store.outbox.enqueue([item("m1")])
    [entry] = await store.outbox.claim("hook", 10, 30)
    await store.outbox.dead_letter(entry, "destination answered 400")
    results = await asyncio.gather(
        store.dead_letters.replay("hook", None), store.dead_letters.replay("hook", None)
    )
    assert sum(results) == 1
    assert len(await store.outbox.claim("hook", 10, 30)) == 1


async def test_a_stale_holder_cannot_undo_what_the_new_holder_did(
    store: Store, request: pytest.FixtureRequest
) -> None:
    """Worker A's lease ran out and worker B took the entry over and delivered it: A's late
    dead letter or retry must not queue a second copy (SQLite fences by the lease's end,
    Redis by the entry's holder in the consumer group)."""
    if request.node.callspec.params["store"] == "redis":
        from gateway.store.redis import RedisStore

        storage = RedisStorage(backend="redis", url=request.getfixturevalue("redis_url"),
                               claim_idle_seconds=0.1)  # fmt: skip
        worker_b: Any = await RedisStore.connect(storage)
    else:
        worker_b = store  # one SQLite file: the lease's end tells the holders apart
    try:
        for verdict in ("dead", "retry"):
            await store.outbox.enqueue([item(f"lease-{verdict}")])
            [stale] = await store.outbox.claim("hook", 10, 0.1)
            await asyncio.sleep(0.4)
            [fresh] = await worker_b.outbox.claim("hook", 10, 0.1)  # takes idle entries over
            assert fresh.item.message_id == stale.item.message_id
            await worker_b.outbox.delivered([fresh], [])
            if verdict == "dead":
                await store.outbox.dead_letter(stale, "destination answered 400")
            else:
                await store.outbox.retry_later(stale, 0, "destination answered 500")
            await asyncio.sleep(0.4)
            assert await store.dead_letters.entries(None, 10) == []
            assert await worker_b.outbox.claim("hook", 10, 30) == []
            assert await store.outbox.claim("hook", 10, 30) == []
    finally:
        if worker_b is not store:
            await worker_b.aclose()


async def test_a_stale_holder_that_was_not_overtaken_still_settles(store: Store) -> None:
    """The fence stops only a holder that lost its entry: a slow worker whose lease ran out
    but whom nobody overtook still records its retry."""
    await store.outbox.enqueue([item("slow-1")])
    [slow] = await store.outbox.claim("hook", 10, 0.1)
    await asyncio.sleep(0.4)
    await store.outbox.retry_later(slow, 0, "destination answered 500")
    [again] = await store.outbox.claim("hook", 10, 30)
    assert (again.item.message_id, again.attempts) == ("slow-1", 1)


async def test_a_retry_survives_a_store_that_lost_its_data(
    store: Store, request: pytest.FixtureRequest
) -> None:
    """Regression from review (Redis): after a restart without persistence the consumer
    group is gone; the worker's retry must still be recorded, as it was before the holder
    check, since the payload then exists only in the worker."""
    await store.outbox.enqueue([item("lost-1")])
    [entry] = await store.outbox.claim("hook", 10, 30)
    if request.node.callspec.params["store"] == "redis":
        await store.client.flushall()  # type: ignore[attr-defined]
    await store.outbox.retry_later(entry, 0, "destination answered 503")
    try:
        claimed = await store.outbox.claim("hook", 10, 30)
    except StoreUnavailable:  # the first claim finds the group gone and makes it again
        claimed = await store.outbox.claim("hook", 10, 30)
    assert [(c.item.message_id, c.attempts) for c in claimed] == [("lost-1", 1)]


async def test_ledger_filters_by_subject_destination_and_time(store: Store) -> None:
    base = time.time() - 100
    rows = [
        (item("m1", subject="a_x"), base),
        (item("m2", destination="ads", subject="a_x"), base + 10),
        (item("m3", subject="a_y"), base + 20),
        (item("m4", destination="ads", subject="a_y"), base + 30),
    ]
    await store.outbox.delivered([], [record(i, at) for i, at in rows])

    def ids(records: list[ProvisionRecord]) -> list[str]:
        return [r.message_id for r in records]

    assert ids(await store.ledger.query()) == ["m1", "m2", "m3", "m4"]
    assert ids(await store.ledger.query(subject_keys=["a_x"])) == ["m1", "m2"]
    assert ids(await store.ledger.query(subject_keys=["a_x", "a_y"], limit=3)) == ["m1", "m2", "m3"]
    assert ids(await store.ledger.query(subject_keys=[])) == []
    assert ids(await store.ledger.query(destination="ads")) == ["m2", "m4"]
    assert ids(await store.ledger.query(subject_keys=["a_y"], destination="ads")) == ["m4"]
    assert ids(await store.ledger.query(since=base + 10, until=base + 30)) == ["m2", "m3"]
    assert ids(await store.ledger.query(destination="hook", since=base + 5)) == ["m3"]
    assert await store.ledger.purge(base + 15) == 2
    assert ids(await store.ledger.query(subject_keys=["a_x"])) == []
    assert ids(await store.ledger.query()) == ["m3", "m4"]


async def test_dedupe_markers_outlive_their_window_only_until_purged(store: Store) -> None:
    """Redis expires its markers itself (purge finds nothing); SQLite's go on purge."""
    dedupe = Dedupe((("web", "m1"),), 1)
    assert await store.outbox.enqueue([item("m1")], dedupe) == set()
    assert await store.dedupe.purge(time.time()) == 0  # still inside the window
    assert await store.outbox.enqueue([item("m1")], dedupe) == {"m1"}
    await asyncio.sleep(1.2)
    assert await store.dedupe.purge(time.time()) in (0, 1)
    assert await store.outbox.enqueue([item("m1")], dedupe) == set()
    assert len(await store.outbox.claim("hook", 10, 30)) == 2


async def test_forget_dedupe_lets_only_the_forgotten_messages_in_again(store: Store) -> None:
    dedupe = Dedupe((("web", "m1"), ("web", "m2")), 60)
    assert await store.outbox.enqueue([item("m1"), item("m2")], dedupe) == set()
    assert await store.erasure.forget_dedupe(["web"], []) == 0
    assert await store.erasure.forget_dedupe(["web"], ["m1"]) == 1
    assert await store.outbox.enqueue([item("m1"), item("m2")], dedupe) == {"m2"}


async def test_the_gateway_key_is_a_file_on_sqlite_and_must_be_shared_on_redis(
    store: Store,
) -> None:
    """One node (SQLite) makes its key once and keeps it; several nodes (Redis) must be
    given one key, so the store refuses to invent one."""
    if store.__class__.__name__ == "RedisStore":
        with pytest.raises(StoreUnavailable, match=r"secrets\.key_env"):
            await store.get_or_create_key()
        return
    key = await store.get_or_create_key()
    assert len(key) == 32
    assert await store.get_or_create_key() == key


# ------------------------------------------------------------- records hygiene (issue 18)
async def test_admin_log_entries_older_than_the_cutoff_are_purged(store: Store) -> None:
    for n in range(3):
        await store.log_admin_action({"action": "disclosure", "n": n})
    cutoff = time.time()
    time.sleep(0.01)
    await store.log_admin_action({"action": "deletion", "n": 3})
    assert await store.purge_admin_log(cutoff) == 3
    assert [e["n"] for e in await store.admin_log(10)] == [3]
    assert await store.purge_admin_log(cutoff) == 0


async def test_a_subjects_pending_and_dead_entries_can_be_listed(store: Store) -> None:
    mine, theirs, dying = (
        item("m1", subject="a_me"),
        item("t1", subject="a_them"),
        item("m2", subject="a_me"),
    )
    await store.outbox.enqueue([mine, theirs, dying])
    (claimed,) = [c for c in await store.outbox.claim("hook", 10, 30) if c.item.message_id == "m2"]
    await store.outbox.dead_letter(claimed, "fatal")
    assert [i.message_id for i in await store.erasure.pending(["a_me", "u_me"])] == ["m1"]
    assert [i.message_id for i in await store.erasure.dead(["a_me"])] == ["m2"]
    assert await store.erasure.dead(["a_nobody"]) == []


async def test_provision_records_keep_the_basis_of_each_purpose(store: Store) -> None:
    entry = item("b1")
    await store.outbox.enqueue([entry])
    (claimed,) = await store.outbox.claim("hook", 10, 30)
    basis = {"analytics": "purpose_default", "advertising": "cmp"}
    with_basis = dataclasses.replace(record(entry, time.time()), basis=basis)
    await store.outbox.delivered([claimed], [with_basis])
    (found,) = await store.ledger.query(subject_keys=["a_1"])
    assert found.basis == basis and found.as_dict()["basis"] == basis


async def test_consent_log_entries_keep_their_basis_and_notice_version(store: Store) -> None:
    basis = {"advertising": "explicit_choice", "analytics": "purpose_default"}
    change = ConsentChange(time.time(), "a_log", {}, {"purposes": {"advertising": True}},
                           "api", "v1", basis, "n1-0123456789abcdef")  # fmt: skip
    await store.preferences.put(["a_log"], change.after, change)
    (entry,) = await store.preferences.consent_log(["a_log"])
    assert entry == change
