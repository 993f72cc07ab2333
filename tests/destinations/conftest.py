"""Fixtures of the destination tests. `gateway.config` is imported before
`gateway.destinations`: the config loader imports the adapters' config models, and the
adapters import the config schema."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

import gateway.config  # noqa: F401
from gateway.destinations.network import build_client
from tests.support.receiver import Answer, Receiver


@pytest.fixture(scope="module")
def shared() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def receiver(shared: Receiver) -> Receiver:
    """One receiver for the module (closing one costs half a second), reset per test."""
    shared.requests.clear()
    shared.default = Answer()
    return shared


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    made = build_client(guarded=False, timeout=1.0, max_connections=8)
    yield made
    await made.aclose()
