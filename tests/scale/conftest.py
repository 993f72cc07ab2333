"""Fixtures for the scale-out tests: private redis-servers (to kill and restart), a
3-master Redis Cluster on loopback, and fleets of gateway and worker processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.scale.fleet import Cluster, Fleet
from tests.support.redis_server import RedisServer


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone (AOF, appendfsync always), free to kill."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path_factory.mktemp("cluster")).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def private_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A cluster of this test alone, free to kill nodes of."""
    cluster = Cluster(tmp_path / "cluster").start()
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster_url(redis_cluster: Cluster) -> str:
    """The cluster's first node, every node flushed."""
    redis_cluster.flush()
    return redis_cluster.url


@pytest.fixture
def fleet_factory() -> Iterator[Callable[[Path], Fleet]]:
    made: list[Fleet] = []

    def make(config_dir: Path) -> Fleet:
        made.append(Fleet(config_dir))
        return made[-1]

    yield make
    for fleet in made:
        fleet.stop()
