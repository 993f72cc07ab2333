"""One dead vendor cannot slow the others: each destination has its own loop, concurrency
cap and circuit breaker (gateway_breaker_open), checked on a real gateway process."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.delivery.e2e import DELIVERY, metric, post, track, wait_until
from tests.support.configs import webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Answer, Receiver

EVENTS = 20


@pytest.mark.slow
def test_a_hung_and_a_failing_vendor_do_not_hold_back_a_healthy_one(
    config_factory: Callable[..., Path],
    make_receiver: Callable[[], Receiver],
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    healthy, hung, failing = make_receiver(), make_receiver(), make_receiver()
    hung.default = Answer(hang=8)
    failing.default = Answer(500)
    delivery = {
        **DELIVERY,
        "timeout_seconds": 3,
        "concurrency": 2,
        "breaker_failures": 3,
        "breaker_cooldown_seconds": 60,
    }
    config = config_factory(
        destinations=[
            webhook("hung", hung.url),
            webhook("failing", failing.url),
            webhook("healthy", healthy.url),
        ],
        gateway={"delivery": delivery},
    )
    gateway = gateway_factory(config)
    events = [track(f"m-{i}", f"user-{i}") for i in range(EVENTS)]
    assert post(gateway, *events).status_code == 200

    received = healthy.wait_for(EVENTS, timeout=10)
    # Every healthy delivery happened before the hung vendor's first attempt could time out.
    assert metric(gateway, "gateway_deliveries_total", destination="hung", outcome="retry") in (
        None,
        0.0,
    )
    assert sorted(e["messageId"] for e in received) == sorted(e["messageId"] for e in events)

    # The failing vendor's breaker opens after 3 consecutive failures and stops the calls.
    wait_until(
        lambda: metric(gateway, "gateway_breaker_open", destination="failing") == 1.0,
        10,
        "the failing vendor's breaker to open",
    )
    assert metric(gateway, "gateway_breaker_open", destination="healthy") == 0.0
    calls = len(failing.requests)
    assert 3 <= calls <= 3 + delivery["concurrency"]
    time.sleep(0.5)
    assert len(failing.requests) == calls
    # Its payloads wait in the outbox for the vendor to come back; nothing is dead-lettered.
    assert (
        metric(gateway, "gateway_dead_letters_total", destination="failing", reason="gave_up")
        is None
    )
