"""The per-write-key rate limit is one bucket in Redis shared by every process and node: two
nodes (one running two uvicorn workers) hammered in parallel accept no more than
burst + rate x elapsed between them."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.scale.fleet import Fleet, post_event, redis_config, track

pytestmark = [pytest.mark.redis, pytest.mark.slow]

RATE, BURST, SECONDS = 20.0, 10, 3.0


def test_the_write_key_limit_holds_across_processes_and_nodes(
    redis_url: str,
    config_factory: Callable[..., Path],
    fleet_factory: Callable[[Path], Fleet],
) -> None:
    config = redis_config(
        config_factory,
        redis_url,
        rate_limits={"per_write_key": {"rate": RATE, "burst": BURST}},
    )
    # Three processes take from the bucket: node 0 runs two uvicorn workers.
    fleet = fleet_factory(config).start(edges=1, args=("--workers", "2")).start(edges=1)
    outcomes: list[tuple[int, int, str | None]] = []  # (node, status, retry-after)
    lock = threading.Lock()
    stop = threading.Event()

    def hammer(node: int, thread: int) -> None:
        with httpx.Client() as client:
            n = 0
            while not stop.is_set():
                n += 1
                event = track(f"n{node}-t{thread}-{n}")
                response = post_event(client, fleet.edges[node].url, event)
                outcome = (node, response.status_code, response.headers.get("retry-after"))
                with lock:
                    outcomes.append(outcome)

    threads = [threading.Thread(target=hammer, args=(n % 2, n)) for n in range(8)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join(10)
    elapsed = time.monotonic() - started

    statuses = Counter(status for _, status, _ in outcomes)
    assert set(statuses) == {200, 429}, statuses
    accepted = statuses[200]
    assert accepted <= BURST + RATE * elapsed + 1, (accepted, elapsed)
    assert accepted >= BURST + RATE * SECONDS * 0.7, (accepted, elapsed)  # the rate gets through
    assert statuses[429] > 5 * accepted, "the load did not exceed the limit: proves nothing"
    assert {node for node, status, _ in outcomes if status == 200} == {0, 1}
    waits = [retry for _, status, retry in outcomes if status == 429]
    assert all(retry is not None and int(retry) >= 1 for retry in waits)
