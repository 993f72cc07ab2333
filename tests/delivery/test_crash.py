"""Crash safety: SIGKILL the gateway while a load generator posts events; after a restart on
the same config directory, every event that was answered 200 is delivered (at least once),
and every duplicate carries the same webhook-id."""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from gateway.route.router import idempotency_key
from tests.delivery.e2e import DELIVERY, query, wait_until
from tests.support.configs import SERVER_KEY, webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Answer, Receiver

TOTAL = 300
KILL_AFTER = 150
THREADS = 4


class LoadGenerator:
    """Threads posting single events with unique messageIds; remembers which got a 200."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: set[str] = set()
        self.attempted: set[str] = set()
        self._ids = (f"crash-{n:04d}" for n in itertools.count())
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run) for _ in range(THREADS)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join(30)

    def _next(self) -> str | None:
        with self._lock:
            message_id = next(self._ids)
            if len(self.attempted) >= TOTAL:
                return None
            self.attempted.add(message_id)
            return message_id

    def _run(self) -> None:
        with httpx.Client(auth=(SERVER_KEY, ""), timeout=5) as client:
            while (message_id := self._next()) is not None:
                event = {"event": "Load", "userId": "load", "messageId": message_id}
                try:
                    response = client.post(self.url + "/v1/track", json=event)
                except httpx.HTTPError:
                    continue  # the gateway is gone: no 200, no promise
                if response.status_code == 200:
                    with self._lock:
                        self.acknowledged.add(message_id)


@pytest.mark.slow
def test_acknowledged_events_survive_kill_9(
    config_factory: Callable[..., Path],
    receiver: Receiver,
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    # A slightly slow receiver keeps deliveries in flight when the kill lands; a short
    # timeout keeps their lease (2 × timeout + 5 s) brief.
    receiver.default = Answer(hang=0.1)
    config = config_factory(
        destinations=[webhook("hook", receiver.url)],
        gateway={"delivery": {**DELIVERY, "timeout_seconds": 0.5}},
    )
    first = gateway_factory(config)
    load = LoadGenerator(first.url)
    load.start()
    wait_until(lambda: len(load.acknowledged) >= KILL_AFTER, 30, f"{KILL_AFTER} acknowledgements")
    first.kill()
    at_kill = len(receiver.requests)
    load.join()
    acknowledged = set(load.acknowledged)
    assert KILL_AFTER <= len(acknowledged) < TOTAL, "the kill did not land mid-stream"

    gateway_factory(config)

    def arrived() -> set[str]:
        return {e["messageId"] for e in receiver.events()}

    wait_until(lambda: acknowledged <= arrived(), 30, "every acknowledged event to arrive")
    # Payloads in flight at the kill come again once their lease expires: wait for those too.
    wait_until(lambda: not query(config, "SELECT id FROM outbox"), 30, "an empty outbox")
    ids: dict[str, set[str]] = defaultdict(set)
    for request in list(receiver.requests):
        ids[request.json()["messageId"]].add(request.headers["webhook-id"])
    assert all(len(keys) == 1 for keys in ids.values())
    assert all(keys == {idempotency_key(m, "hook")} for m, keys in ids.items())
    assert set(ids) <= load.attempted
    duplicates = len(receiver.requests) - len(ids)
    print(
        f"\nacknowledged {len(acknowledged)} of {len(load.attempted)} posted; "
        f"{len(ids)} distinct delivered, {duplicates} duplicate deliveries; {at_kill} at kill"
    )
