"""Receivers for delivery tests, closed in parallel: closing one waits out its server's
half-second poll, and an end-to-end test uses one per destination."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from tests.support.receiver import Receiver


@pytest.fixture
def make_receiver() -> Iterator[Callable[[], Receiver]]:
    made: list[Receiver] = []

    def make() -> Receiver:
        made.append(Receiver())
        return made[-1]

    yield make
    closing = [threading.Thread(target=r.close) for r in made]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join()
