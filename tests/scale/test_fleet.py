"""Several edge nodes and delivery workers on one Redis (docs/scale-out.md): every
accepted event is delivered at least once, duplicates come only from a killed worker, and
the books balance."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.scale.fleet import Fleet, View, metric, post_event, redis_config, track, wait_until
from tests.support.configs import webhook
from tests.support.receiver import Answer, Receiver

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def send_alternating(fleet: Fleet, ids: list[str]) -> Counter[int]:
    """POST one event per id, alternating between the edge nodes, 8 at a time."""
    bases = [edge.url for edge in fleet.edges]
    clients = [httpx.Client() for _ in range(8)]

    def status(index: int) -> int:
        event = track(ids[index], n=index)
        client = clients[index % len(clients)]
        return post_event(client, bases[index % len(bases)], event).status_code

    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            return Counter(pool.map(status, range(len(ids))))
    finally:
        for client in clients:
            client.close()


def new_consumers(view: View, stream: str, known: set[str]) -> set[str]:
    return set(view.pending_of(stream)) - known


def kill_a_worker_holding_entries(fleet: Fleet, view: View, stream: str) -> tuple[str, set[str]]:
    """Start a worker, SIGKILL it while it holds claimed entries; its consumer name and the
    messageIds it held. (It may be between two claims at the kill: then try again.)"""
    for _ in range(3):
        known = set(view.pending_of(stream))
        worker = fleet.start(workers=1).workers[-1]
        wait_until(partial(new_consumers, view, stream, known), 20, "a worker to claim")
        worker.kill()
        for consumer in new_consumers(view, stream, known):
            held = view.message_ids(stream, view.pending_of(stream)[consumer])
            if held:
                return consumer, held
    raise AssertionError("no worker was ever killed holding entries")


def duplicates(receiver: Receiver) -> set[str]:
    counts = Counter(event["messageId"] for event in receiver.events())
    return {message_id for message_id, n in counts.items() if n > 1}


def test_two_edges_two_workers_deliver_everything_once_and_the_books_balance(
    redis_url: str,
    receiver_factory: Callable[[], Receiver],
    config_factory: Callable[..., Path],
    fleet_factory: Callable[[Path], Fleet],
) -> None:
    ok, rejecting, down = receiver_factory(), receiver_factory(), receiver_factory()
    rejecting.default = Answer(status=400)
    down.default = Answer(status=503, headers={"retry-after": "60"})
    config = redis_config(
        config_factory,
        redis_url,
        destinations=[
            webhook("ok", ok.url), webhook("rejecting", rejecting.url), webhook("down", down.url),
        ],
    )  # fmt: skip
    fleet = fleet_factory(config).start(edges=2, workers=2)
    ids = [f"m{i:04d}" for i in range(300)]

    statuses = send_alternating(fleet, ids)

    assert statuses == {200: len(ids)}, fleet.logs()
    accepted = sum(metric(edge.url, "gateway_events_accepted_total") for edge in fleet.edges)
    assert accepted == len(ids)
    received = Counter(event["messageId"] for event in ok.wait_for(len(ids), timeout=30))
    view = View(redis_url)
    wait_until(lambda: view.stats("rejecting")["rejecting"].dead_letters == len(ids), 20, "DLQ")
    time.sleep(0.5)  # anything still in flight would show up as a duplicate now
    assert set(received) == set(ids)
    assert duplicates(ok) == set()
    stats = view.stats("ok", "rejecting", "down")
    for name in ("ok", "rejecting", "down"):
        records = view.ledger(name)
        assert len({r.idempotency_key for r in records}) == len(records)
        books = len(records) + stats[name].dead_letters + stats[name].pending
        assert books == accepted, (name, len(records), stats[name])
    assert len(view.ledger("ok")) == len(ids)
    assert stats["down"].pending == len(ids)


def test_a_killed_workers_entries_are_reclaimed_and_delivered_by_another(
    redis_url: str,
    receiver: Receiver,
    config_factory: Callable[..., Path],
    fleet_factory: Callable[[Path], Fleet],
) -> None:
    receiver.default = Answer(hang=0.4)
    config = redis_config(
        config_factory,
        redis_url,
        destinations=[webhook("slow", receiver.url)],
        delivery={"timeout_seconds": 1.0, "concurrency": 4},
    )
    fleet = fleet_factory(config).start(edges=1)
    ids = [f"k{i:03d}" for i in range(40)]
    with httpx.Client() as client:
        assert {post_event(client, fleet.edges[0].url, track(m)).status_code for m in ids} == {200}
    view = View(redis_url)
    doomed, held_ids = kill_a_worker_holding_entries(fleet, view, "slow")
    # The receiver finishes what the dead worker had sent: every request that arrived is
    # recorded (a hung one is recorded when its hang ends).
    wait_until(lambda: receiver.arrived == len(receiver.requests), 15, "the hung requests")
    before = len(receiver.events())
    fleet.start(workers=1)

    # Counting events is not enough: the dead worker may have delivered some twice.
    wait_until(lambda: {e["messageId"] for e in receiver.events()} >= set(ids), 40, "every event")
    events = receiver.events()
    wait_until(lambda: doomed not in view.pending_of("slow"), 15, "the dead worker's entries")
    wait_until(lambda: view.stats("slow")["slow"].pending == 0, 15, "an empty outbox")
    assert {e["messageId"] for e in events} == set(ids)
    assert duplicates(receiver) <= held_ids
    after_kill = {e["messageId"] for e in receiver.events()[before:]}
    assert held_ids <= after_kill, "the dead worker's entries were not delivered by another"
    assert {r.message_id for r in view.ledger("slow")} == set(ids)


def test_a_worker_carries_on_after_redis_lost_its_data(
    redis_url: str,
    receiver: Receiver,
    config_factory: Callable[..., Path],
    fleet_factory: Callable[[Path], Fleet],
) -> None:
    """Redis restarted without its AOF (or flushed): the consumer group is gone, and the
    workers must make it again rather than fail every round."""
    config = redis_config(config_factory, redis_url, destinations=[webhook("hook", receiver.url)])
    fleet = fleet_factory(config).start(edges=1, workers=1)
    with httpx.Client() as client:
        assert post_event(client, fleet.edges[0].url, track("before")).status_code == 200
        receiver.wait_for(1)
        redis = View(redis_url).client()
        redis.flushall()
        redis.close()
        time.sleep(0.5)  # the worker polls the lost group
        assert post_event(client, fleet.edges[0].url, track("after")).status_code == 200
    events = receiver.wait_for(2, timeout=15)
    assert [e["messageId"] for e in events] == ["before", "after"]
