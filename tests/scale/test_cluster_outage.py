"""A Redis Cluster master dies: the edge answers 503 with Retry-After within 2 s (never
200, never 500), /readyz fails, and both recover when the master comes back with its AOF."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.scale.fleet import Cluster, Fleet, View, post_event, redis_config, track, wait_until
from tests.support.configs import webhook
from tests.support.receiver import Receiver

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_a_dead_master_means_503_and_not_ready_until_it_returns(
    private_cluster: Cluster,
    receiver: Receiver,
    config_factory: Callable[..., Path],
    fleet_factory: Callable[[Path], Fleet],
) -> None:
    config = redis_config(
        config_factory,
        private_cluster.url,
        cluster=True,
        destinations=[webhook("hook", receiver.url)],
    )
    fleet = fleet_factory(config).start(edges=1)
    base = fleet.edges[0].url
    outbox_master = private_cluster.owner("{cg}:out:hook")

    with httpx.Client() as client:
        assert post_event(client, base, track("before")).status_code == 200
        assert client.get(base + "/readyz").status_code == 200
        outbox_master.kill()
        outage = []
        for n in range(10):
            started = time.monotonic()
            response = post_event(client, base, track(f"down-{n}"), timeout=10)
            middle = time.monotonic()
            ready = client.get(base + "/readyz", timeout=10)
            outage.append(
                (response, ready.status_code, middle - started, time.monotonic() - middle)
            )
        outbox_master.start()
        wait_until(lambda: private_cluster.healthy(), 30, "the cluster to heal", 0.2)
        wait_until(
            lambda: client.get(base + "/readyz").status_code == 200, 15, "/readyz to recover"
        )
        wait_until(
            lambda: post_event(client, base, track("after")).status_code == 200,
            15,
            "ingest to recover",
        )

    assert [r.status_code for r, *_ in outage] == [503] * 10
    assert all(int(r.headers["retry-after"]) >= 1 for r, *_ in outage)
    assert [ready for _, ready, _, _ in outage] == [503] * 10
    assert max(seconds for _, _, seconds, _ in outage) < 2.0
    assert max(seconds for *_, seconds in outage) < 2.0
    fleet.start(workers=1)
    delivered = {e["messageId"] for e in receiver.wait_for(2, timeout=20)}
    assert delivered == {"before", "after"}
    view = View(private_cluster.url, cluster=True)
    wait_until(lambda: len(view.ledger("hook")) == 2, 10, "two ledger rows")
    assert {r.message_id for r in view.ledger("hook")} == delivered
