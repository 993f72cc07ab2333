"""Shared fixtures: factories for configs, receivers and gateway processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.support import compiled

# Before anything imports gateway: which build of the hot modules the tests run on.
if compiled.pure():
    import sys

    sys.meta_path.insert(0, compiled.SourceOnly())
elif compiled.stale():
    pytest.exit("compiled modules are stale (built from other sources): run `make compiled`", 2)

from tests.support.configs import write_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

pytest_plugins = ["tests.support.browser"]  # the `browser` fixture

# CI replays the same examples on every run (`HYPOTHESIS_PROFILE=ci` in `.ci/run`): a
# property that fails there fails for a reason anyone can reproduce. Local runs draw new
# examples each time, which is how new failures are found.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

SHARED = Path(__file__).resolve().parents[2] / "shared"
TESTDATA = SHARED / "testdata"


def testdata(name: str) -> Path:
    """A folder of ../shared/testdata, or a skip when this checkout has none."""
    path = TESTDATA / name
    if not path.exists():
        pytest.skip(f"third-party test data {path} is not present (it lives outside the repo)")
    return path


@pytest.fixture
def receiver_factory() -> Iterator[Callable[[], Receiver]]:
    made: list[Receiver] = []

    def make() -> Receiver:
        made.append(Receiver())
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def receiver(receiver_factory: Callable[[], Receiver]) -> Receiver:
    return receiver_factory()


@pytest.fixture
def config_factory(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(**kwargs: Any) -> Path:
        return write_config(tmp_path / f"config{next(counter)}", **kwargs)

    return make


@pytest.fixture
def gateway_factory() -> Iterator[Callable[..., GatewayProcess]]:
    started: list[GatewayProcess] = []

    def start(config_dir: Path, **kwargs: Any) -> GatewayProcess:
        process = GatewayProcess(config_dir, **kwargs)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.support.redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: Any) -> str:
    """A clean database on the session's redis-server."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return str(redis_server.url)


def pytest_report_header() -> str:
    if compiled.pure():
        return "gateway hot modules: plain Python (GATEWAY_PURE=1)"
    state = "compiled with mypyc" if compiled.built() else "plain Python (not compiled)"
    return f"gateway hot modules: {state} ({len(compiled.NAMES)})"
