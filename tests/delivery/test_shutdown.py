"""SIGTERM while a request is out: the worker waits for the answer and records the
provision, rather than leaving the payload leased, sent but unrecorded."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.configs import SERVER_KEY, webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Answer, Receiver


def test_a_stopping_gateway_finishes_the_delivery_it_started(
    config_factory: Callable[..., Path],
    receiver: Receiver,
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    receiver.default = Answer(hang=2.0)
    config = config_factory(
        destinations=[webhook("slow", receiver.url)], gateway={"delivery": {"timeout_seconds": 5}}
    )
    gateway = gateway_factory(config)
    event = {"type": "track", "event": "Signed Up", "anonymousId": "a1", "messageId": "m-1"}
    assert (
        httpx.post(gateway.url + "/v1/track", json=event, auth=(SERVER_KEY, "")).status_code == 200
    )
    receiver.wait_arrived(1)  # the worker has sent it; the receiver is still "thinking"
    started = time.monotonic()
    gateway.stop()  # SIGTERM
    assert time.monotonic() - started < 12
    assert [e["messageId"] for e in receiver.events()] == ["m-1"]
    database = sqlite3.connect(config / "gateway.db")
    assert database.execute("SELECT message_id FROM ledger").fetchall() == [("m-1",)]
    assert database.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,)
