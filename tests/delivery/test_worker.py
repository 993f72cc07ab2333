"""The delivery worker in this process, on a real SQLite outbox and real receivers: batching,
the per-destination concurrency cap, the connect-time address guard, metrics, provision
records and a config reload."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from gateway.delivery.worker import DeliveryWorker, provision_record
from gateway.destinations import network
from gateway.destinations.registry import read_config
from gateway.route.router import idempotency_key
from gateway.runtime import Gateway, Runtime
from gateway.store.types import Claimed, OutboxItem
from tests.delivery.e2e import DELIVERY, Timed, timed
from tests.support.configs import webhook, write_config
from tests.support.receiver import Answer, Receiver


def items(destination: str, count: int, subject: str = "u_1") -> list[OutboxItem]:
    now = time.time()
    return [
        OutboxItem(
            destination=destination,
            idempotency_key=idempotency_key(f"w-{i}", destination),
            message_id=f"w-{i}",
            source_id="server",
            subject_keys=(subject, "a_2"),
            payload={"event": "Viewed", "messageId": f"w-{i}"},
            meta={
                "policy_version": "p1",
                "country": "US",
                "role": "processor",
                "purposes": ["analytics"],
                "categories": ["browsing_history"],
                "consent": {"analytics": True},
            },
            created_at=now,
        )
        for i in range(count)
    ]


@asynccontextmanager
async def running(directory: Path) -> AsyncIterator[tuple[Gateway, Runtime]]:
    gateway = Gateway(read_config(directory), run_worker=True)
    runtime = await gateway.start()
    worker = DeliveryWorker(gateway.current)
    task = asyncio.create_task(worker.run())
    try:
        yield gateway, runtime
    finally:
        worker.stop()
        await task
        await gateway.stop()


async def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)
    return value


def sample(runtime: Runtime, name: str, **labels: str) -> float | None:
    return runtime.metrics.registry.get_sample_value(name, labels)


def max_overlap(requests: Timed, duration: float) -> int:
    """Most requests a receiver was handling at once, from when each was recorded (after
    the scripted `duration` of work)."""
    spans = [(end - duration, end) for end in requests.times]
    return max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)


async def test_batches_go_as_one_request_each(
    config_factory: Callable[..., Path], make_receiver: Callable[[], Receiver]
) -> None:
    receiver = make_receiver()
    config = config_factory(
        destinations=[webhook("batched", receiver.url, batch_size=50, flush_interval=0.05)],
        gateway={"delivery": DELIVERY},
    )
    async with running(config) as (_, runtime):
        await runtime.store.outbox.enqueue(items("batched", 120))
        await until(lambda: len(receiver.events()) >= 120)
        # The receiver records a batch before the worker counts it: wait for the count too.
        await until(
            lambda: sample(runtime, "gateway_delivered_events_total", destination="batched") == 120
        )
    assert len(receiver.requests) == 3
    assert sorted(len(r.json()["batch"]) for r in receiver.requests) == [20, 50, 50]
    ids = [item["id"] for r in receiver.requests for item in r.json()["batch"]]
    assert sorted(ids) == sorted(i.idempotency_key for i in items("batched", 120))


async def test_concurrency_is_capped_per_destination(
    config_factory: Callable[..., Path], make_receiver: Callable[[], Receiver]
) -> None:
    slow = make_receiver()
    slow.default = Answer(hang=0.2)
    requests = timed(slow)
    config = config_factory(
        destinations=[webhook("slow", slow.url)],
        gateway={"delivery": {**DELIVERY, "concurrency": 3}},
    )
    async with running(config) as (_, runtime):
        await runtime.store.outbox.enqueue(items("slow", 9))
        await until(lambda: len(slow.requests) >= 9)
    assert max_overlap(requests, 0.2) <= 3
    assert max_overlap(requests, 0.2) >= 2, "deliveries to one destination run concurrently"


async def test_a_name_resolving_to_loopback_is_dead_lettered_without_a_request(
    config_factory: Callable[..., Path],
    make_receiver: Callable[[], Receiver],
    monkeypatch: Any,
) -> None:
    receiver = make_receiver()

    async def rebinding(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    monkeypatch.setattr(network, "_resolve", rebinding)
    url = f"http://collector.example.net:{receiver.port}/hook"
    config = config_factory(
        destinations=[
            webhook("public", url, allow_private_network=False, allow_insecure_http=True)
        ],
        gateway={"delivery": DELIVERY},
    )
    async with running(config) as (_, runtime):
        await runtime.store.outbox.enqueue(items("public", 1))
        [letter] = await _letters(runtime, 1)
        assert letter.attempts == 1
        assert "refused to connect" in letter.reason and "loopback" in letter.reason
        assert sample(runtime, "gateway_dead_letters_total", destination="public", reason="fatal")
    assert receiver.requests == []


async def _records(runtime: Runtime, destination: str) -> list[Any]:
    deadline = time.monotonic() + 10
    while not (found := await runtime.store.ledger.query(destination=destination)):
        assert time.monotonic() < deadline, "no provision record"
        await asyncio.sleep(0.02)
    return found


async def _letters(runtime: Runtime, count: int) -> list[Any]:
    deadline = time.monotonic() + 10
    while len(letters := await runtime.store.dead_letters.entries(None, 10)) < count:
        assert time.monotonic() < deadline, "no dead letter"
        await asyncio.sleep(0.02)
    return letters


async def test_metrics_follow_retries_and_queue_depth(
    config_factory: Callable[..., Path], make_receiver: Callable[[], Receiver]
) -> None:
    receiver = make_receiver()
    receiver.script(Answer(503, {"retry-after": "0"}), Answer(500))
    config = config_factory(
        destinations=[webhook("metered", receiver.url)], gateway={"delivery": DELIVERY}
    )
    async with running(config) as (_, runtime):
        await runtime.store.outbox.enqueue(items("metered", 1))
        records = await _records(runtime, "metered")
        retries = sample(
            runtime, "gateway_deliveries_total", destination="metered", outcome="retry"
        )
        assert retries == 2
        observed = sample(runtime, "gateway_retry_delay_seconds_count", destination="metered")
        assert observed == 2
        [record] = records
        assert record.idempotency_key == idempotency_key("w-0", "metered")
        assert (await runtime.store.outbox.stats(["metered"]))["metered"].pending == 0
    assert len(receiver.requests) == 3


def test_a_provision_record_carries_the_outbox_stamp() -> None:
    [item] = items("hook", 1, subject="u_9")
    record = provision_record(Claimed("1", item, 2), 1_800_000_000.0)
    assert record.as_dict() == {
        "delivered_at": 1_800_000_000.0,
        "destination": "hook",
        "country": "US",
        "purposes": ["analytics"],
        "categories": ["browsing_history"],
        "subject_key": "u_9",
        "message_id": "w-0",
        "idempotency_key": item.idempotency_key,
        "policy_version": "p1",
        "consent": {"analytics": True},
        "basis": {},  # items() stamps none: an entry queued by 0.1.0 reads like this
    }
    assert record.subject_keys == ("u_9", "a_2")


async def test_a_destination_added_by_a_reload_gets_deliveries(
    config_factory: Callable[..., Path], make_receiver: Callable[[], Receiver]
) -> None:
    first, second = make_receiver(), make_receiver()
    config = config_factory(
        destinations=[webhook("first", first.url)], gateway={"delivery": DELIVERY}
    )
    async with running(config) as (gateway, runtime):
        write_config(
            config,
            destinations=[webhook("first", first.url), webhook("second", second.url)],
            gateway={"delivery": DELIVERY},
        )
        assert gateway.reload() == []
        await runtime.store.outbox.enqueue(items("second", 2))
        await until(lambda: len(second.requests) == 2, 5)


async def test_queue_gauges_show_depth_age_and_dead_letters(
    config_factory: Callable[..., Path], make_receiver: Callable[[], Receiver]
) -> None:
    receiver = make_receiver()
    config = config_factory(
        destinations=[webhook("parked", receiver.url)], gateway={"delivery": DELIVERY}
    )
    gateway = Gateway(read_config(config), run_worker=True)
    runtime = await gateway.start()
    try:
        outbox = runtime.store.outbox
        old = [replace(item, created_at=time.time() - 30) for item in items("parked", 4)]
        await outbox.enqueue(old)
        claimed = await outbox.claim("parked", 10, 30)
        for entry in claimed[:3]:
            await outbox.retry_later(entry, 60, "500")  # pending, not due for a minute
        await outbox.dead_letter(claimed[3], "destination answered 400")
    finally:
        await gateway.stop()
    async with running(config) as (_, runtime):
        await until(lambda: sample(runtime, "gateway_queue_depth", destination="parked") == 3)
        oldest = sample(runtime, "gateway_queue_oldest_seconds", destination="parked")
        assert oldest is not None and 30 <= oldest < 60
        assert sample(runtime, "gateway_dead_letter_depth", destination="parked") == 1
    assert receiver.requests == []
