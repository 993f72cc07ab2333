"""Delivery throughput of one `gateway worker` process to a loopback receiver that answers
at once, for batch_size 1 and 50. Reported, not asserted (the figure depends on the machine):

    .venv/bin/pytest tests/delivery/test_throughput.py -s -q
    THROUGHPUT_EVENTS=20000 .venv/bin/pytest tests/delivery/test_throughput.py -s -q
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.route.router import idempotency_key
from gateway.store.sqlite import SqliteStore
from gateway.store.types import OutboxItem
from tests.support.configs import webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

DEFAULT_EVENTS = {1: 600, 50: 5000}  # a few seconds each; THROUGHPUT_EVENTS for a longer run


async def fill(database: Path, count: int) -> None:
    store = SqliteStore(database)
    now = time.time()
    try:
        for start in range(0, count, 500):
            await store.outbox.enqueue(
                [
                    OutboxItem(
                        destination="sink",
                        idempotency_key=idempotency_key(f"tp-{i}", "sink"),
                        message_id=f"tp-{i}",
                        source_id="server",
                        subject_keys=(f"u_{i % 97}",),
                        payload={
                            "type": "track",
                            "event": "Viewed",
                            "messageId": f"tp-{i}",
                            "properties": {"plan": "pro", "price": i},
                        },
                        meta={
                            "policy_version": "p",
                            "country": "JP",
                            "role": "processor",
                            "purposes": ["analytics"],
                            "categories": ["browsing_history"],
                            "consent": {"analytics": True},
                        },
                        created_at=now,
                    )
                    for i in range(start, min(start + 500, count))
                ]
            )
    finally:
        await store.aclose()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to report events per CPU-second:
    wall-clock rates on a shared machine measure the neighbours too."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def delivered(receiver: Receiver, batch_size: int) -> int:
    if batch_size == 1:
        return len(receiver.requests)
    return sum(request.body.count(b'"id":') for request in list(receiver.requests))


@pytest.mark.slow
@pytest.mark.parametrize("batch_size", [1, 50])
def test_worker_throughput(
    batch_size: int,
    config_factory: Callable[..., Path],
    make_receiver: Callable[[], Receiver],
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    events = int(os.environ.get("THROUGHPUT_EVENTS", DEFAULT_EVENTS[batch_size]))
    receiver = make_receiver()
    config = config_factory(
        destinations=[webhook("sink", receiver.url, batch_size=batch_size)],
        gateway={"delivery": {"timeout_seconds": 5, "poll_interval_seconds": 0.05}},
    )
    asyncio.run(fill(config / "gateway.db", events))
    worker = gateway_factory(config, command="worker")
    assert worker.process is not None
    pid = worker.process.pid
    deadline = time.monotonic() + 120
    first: tuple[float, float, int] | None = None
    while (count := delivered(receiver, batch_size)) < events:
        if count and first is None:
            first = (time.monotonic(), cpu_seconds(pid), count)
        assert time.monotonic() < deadline, f"only {count} of {events} delivered"
        time.sleep(0.01)
    assert first is not None
    measured = events - first[2]
    elapsed, cpu = time.monotonic() - first[0], cpu_seconds(pid) - first[1]
    print(
        f"\nworker, batch_size {batch_size}: {measured} events in {elapsed:.2f} s "
        f"= {measured / elapsed:,.0f} events/s wall, {measured / max(cpu, 0.01):,.0f} per "
        f"worker CPU-second ({len(receiver.requests)} requests)"
    )
