"""Receivers for delivery tests, answering without Nagle's delay and closed in parallel
(closing one waits out its server's half-second poll; an end-to-end test uses several)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from tests.support.receiver import Receiver


@pytest.fixture
def make_receiver() -> Iterator[Callable[[], Receiver]]:
    made: list[Receiver] = []

    def make() -> Receiver:
        receiver = Receiver()
        # http.server writes the status line and headers, then the body, as two small
        # writes: with Nagle on, the body waits for a delayed ACK (~40 ms a request).
        receiver._server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        made.append(receiver)
        return receiver

    yield make
    closing = [threading.Thread(target=r.close) for r in made]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join()
