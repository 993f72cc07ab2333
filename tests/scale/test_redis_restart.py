"""kill -9 and restart redis-server (AOF, appendfsync always) under load: "200 means
durable" holds, and while Redis is down the edge says 503 with
Retry-After quickly, never 200, and /readyz fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.scale.fleet import Fleet, View, post_event, redis_config, track, wait_until
from tests.support.configs import webhook
from tests.support.receiver import Answer, Receiver
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@dataclass(frozen=True)
class Sent:
    message_id: str
    started: float
    ended: float
    status: int
    retry_after: str | None


@dataclass(frozen=True)
class Probe:
    started: float
    ended: float
    status: int


class Load:
    """Sends events to the edges (alternating) and probes /readyz until stopped."""

    def __init__(self, fleet: Fleet) -> None:
        self.bases = [edge.url for edge in fleet.edges]
        self.sent: list[Sent] = []
        self.probes: list[Probe] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._send, args=(n,), daemon=True) for n in range(2)
        ] + [threading.Thread(target=self._probe, daemon=True)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    def seen_since(self, since: float, status: int, count: int) -> bool:
        """`count` events answered `status` and one /readyz probe answered (503 while down,
        200 once up), all started after `since` and finished."""
        sent = sum(1 for s in list(self.sent) if s.started >= since and s.status == status)
        probed = any(p.started >= since and p.status == status for p in list(self.probes))
        return sent >= count and probed

    def _send(self, worker: int) -> None:
        with httpx.Client() as client:
            n = 0
            while not self._stop.is_set():
                n += 1
                message_id = f"r{worker}-{n:05d}"
                started = time.monotonic()
                try:
                    response = post_event(client, self.bases[n % 2], track(message_id), 10)
                    status, retry = response.status_code, response.headers.get("retry-after")
                except httpx.HTTPError:
                    status, retry = 0, None
                self.sent.append(Sent(message_id, started, time.monotonic(), status, retry))
                time.sleep(0.01)

    def _probe(self) -> None:
        with httpx.Client() as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    status = client.get(self.bases[0] + "/readyz", timeout=10).status_code
                except httpx.HTTPError:
                    status = 0
                self.probes.append(Probe(started, time.monotonic(), status))
                time.sleep(0.1)


def test_acknowledged_events_survive_a_redis_kill_and_the_outage_answers_503(
    private_redis: RedisServer,
    receiver: Receiver,
    config_factory: Callable[..., Path],
    fleet_factory: Callable[[Path], Fleet],
) -> None:
    receiver.default = Answer(hang=0.3)  # a backlog builds up: most accepted events wait
    config = redis_config(
        config_factory,
        private_redis.url,
        destinations=[webhook("hook", receiver.url, batch_size=10)],
        delivery={"timeout_seconds": 0.5, "concurrency": 1},
    )
    fleet = fleet_factory(config).start(edges=2, workers=1)
    view = View(private_redis.url)

    # Each phase lasts until what it must show has happened (not a fixed time): a loaded
    # machine stretches the phases instead of failing the test.
    with Load(fleet) as load:
        wait_until(lambda: view.stats("hook")["hook"].pending > 10, 30, "a backlog")
        backlog = view.stats("hook")["hook"].pending
        private_redis.kill()
        down_from = time.monotonic()
        wait_until(lambda: load.seen_since(down_from, 503, 21), 30, "refusals while down")
        down_until = time.monotonic()
        private_redis.start()
        up_at = time.monotonic()
        receiver.default = Answer()
        wait_until(lambda: load.seen_since(up_at + 1.5, 200, 5), 30, "acceptance after restart")

    assert backlog > 10, "nothing was waiting in the outbox when Redis died: proves nothing"
    assert {s.status for s in load.sent} <= {200, 503}, {s.status for s in load.sent}
    outage = [s for s in load.sent if down_from <= s.started and s.ended <= down_until]
    assert len(outage) > 20
    assert {s.status for s in outage} == {503}
    assert all(s.retry_after and int(s.retry_after) >= 1 for s in outage)
    assert max(s.ended - s.started for s in outage) < 2.0
    recovered = [s for s in load.sent if s.started >= up_at + 1.5]
    assert recovered and {s.status for s in recovered} == {200}

    probes_down = [p for p in load.probes if down_from <= p.started and p.ended <= down_until]
    assert probes_down and {p.status for p in probes_down} == {503}
    assert max(p.ended - p.started for p in probes_down) < 2.0
    assert load.probes[-1].status == 200

    acknowledged = {s.message_id for s in load.sent if s.status == 200}
    wait_until(
        lambda: acknowledged <= {e["messageId"] for e in receiver.events()},
        30,
        "every acknowledged event to be delivered",
    )
    wait_until(
        lambda: acknowledged <= {r.message_id for r in view.ledger("hook")},
        30,
        "a ledger record for every acknowledged event",
    )
