"""The Redis Cluster variant of acknowledged-means-replicated: 3 masters with a replica
each, the gateway on `cluster: true` with `min_replicas: 1` (WAIT on the master of the
shard that took the write), a client posting events one by one; the master holding the
outbox slot `{cg}` is killed with SIGKILL, the cluster promotes its replica, the killed node
comes back as that replica's replica, posting goes on. Every messageId answered 200
reaches the receiver."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import yaml

from tests.scale.fleet import (
    GATEWAY_ENV,
    Cluster,
    Poster,
    delivered,
    metric,
    redis_config,
    wait_until,
)
from tests.support.configs import webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def replicated_cluster(tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path / "cluster", replicas=1, node_timeout_ms=1000).start()
    yield cluster
    cluster.stop()


def test_a_cluster_failover_loses_no_acknowledged_event_with_min_replicas_1(
    replicated_cluster: Cluster,
    receiver: Receiver,
    config_factory: Callable[..., Path],
    tmp_path: Path,
) -> None:
    cluster = replicated_cluster
    config = redis_config(
        config_factory,
        cluster.url,
        cluster=True,
        destinations=[webhook("hook", receiver.url, batch_size=10)],
        delivery={"timeout_seconds": 1.0, "breaker_cooldown_seconds": 0.5},
    )
    path = config / "gateway.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["storage"].update(min_replicas=1, replica_timeout_ms=300)
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    victim = cluster.owner("{cg}")
    gateway = GatewayProcess(config, env=GATEWAY_ENV, log_path=tmp_path / "gateway.log").start()
    try:
        with Poster(gateway.url) as poster:
            time.sleep(1.5)
            victim.kill()
            poster.phase = "failover"
            wait_until(
                lambda: _promoted(cluster, victim), 30, "the cluster to promote the replica", 0.2
            )
            victim.start()  # rejoins (nodes.conf) as the promoted node's replica
            wait_until(cluster.healthy, 30, "the cluster to be whole again", 0.2)
            poster.phase = "after"
            time.sleep(2.0)
        statuses = {s for *_, s in poster.answers}
        assert statuses <= {200, 503}, statuses
        assert poster.within("before"), "nothing was acknowledged before the failover"
        assert poster.within("after"), "posting did not recover after the failover"
        acknowledged = poster.acknowledged()
        wait_until(
            lambda: acknowledged <= delivered(receiver),
            30,
            "every acknowledged messageId at the receiver",
        )
        # Each acknowledgement waited for the shard's replica (WAIT on the {cg} master).
        assert metric(gateway.url, "gateway_redis_replica_ack_seconds_count") >= len(acknowledged)
        refused = sum(1 for *_, s in poster.answers if s == 503)
        print(f"\ncluster failover: {len(acknowledged)} acknowledged, {refused} answered 503")
    finally:
        gateway.stop()


def _promoted(cluster: Cluster, victim: RedisServer) -> bool:
    try:
        return cluster.owner("{cg}") is not victim and cluster.healthy()
    except (redis.RedisError, AssertionError):
        return False
