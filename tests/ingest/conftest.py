"""Module-scoped gateways for the ingestion tests: one in-process app and one real uvicorn
process per module, so the many small requests share a single start-up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gateway.app import create_app
from tests.ingest.helpers import TestClient, ingest_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver


@dataclass
class Live:
    """A real `python -m gateway serve` process whose webhook posts to `receiver`."""

    process: GatewayProcess
    receiver: Receiver

    @property
    def url(self) -> str:
        return self.process.url


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    directory = ingest_config(tmp_path_factory.mktemp("in-process"))
    with TestClient(create_app(directory, run_worker=False)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    receiver = Receiver()
    directory = ingest_config(tmp_path_factory.mktemp("live"), receiver.url)
    process = GatewayProcess(directory)
    try:
        process.start()
        yield Live(process, receiver)
    finally:
        process.stop()
        receiver.close()
