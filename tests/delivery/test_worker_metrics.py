"""`gateway worker --metrics-port` exposes the delivery metrics of a worker process."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.configs import SERVER_KEY, webhook
from tests.support.processes import GatewayProcess, free_port
from tests.support.receiver import Receiver


def test_a_worker_serves_its_delivery_metrics(
    config_factory: Callable[..., Path],
    receiver: Receiver,
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    config = config_factory(destinations=[webhook("hook", receiver.url)])
    edge = gateway_factory(config, args=("--no-worker",))
    event = {"type": "track", "event": "Signed Up", "anonymousId": "a1"}
    answer = httpx.post(edge.url + "/v1/track", json=event, auth=(SERVER_KEY, ""))
    assert answer.status_code == 200
    port = free_port()
    gateway_factory(config, command="worker", args=("--metrics-port", str(port)))
    receiver.wait_for(1)
    deadline = time.monotonic() + 15
    while True:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        except httpx.HTTPError:
            text = ""
        if 'gateway_delivered_events_total{destination="hook"} 1.0' in text:
            break
        assert time.monotonic() < deadline, "the worker's metrics never showed the delivery"
        time.sleep(0.2)
