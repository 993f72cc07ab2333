"""Backoff with full jitter, Retry-After, the give-up rule and the circuit breaker."""

from __future__ import annotations

import random

import pytest

from gateway.config.schema import DeliveryConfig
from gateway.delivery.retry import MAX_RETRY_AFTER, Breaker, backoff, exhausted, next_delay

SETTINGS = DeliveryConfig(
    max_attempts=3,
    max_age_seconds=60,
    backoff_base_seconds=0.5,
    backoff_max_seconds=10,
)


@pytest.mark.parametrize(("attempt", "ceiling"), [(0, 0.5), (1, 1.0), (3, 4.0), (5, 10.0)])
def test_backoff_is_uniform_below_a_capped_exponential(attempt: int, ceiling: float) -> None:
    rng = random.Random(attempt)
    delays = [backoff(attempt, 0.5, 10, rng) for _ in range(2000)]
    assert all(0 <= d <= ceiling for d in delays)
    assert max(delays) > ceiling * 0.95, "full jitter reaches up to the ceiling"
    assert min(delays) < ceiling * 0.05, "full jitter reaches down to zero"


def test_backoff_survives_huge_attempt_numbers() -> None:
    assert 0 <= backoff(10_000, 1.0, 900.0, random.Random(1)) <= 900.0


def test_retry_after_wins_over_backoff_and_is_bounded() -> None:
    assert next_delay(0, 7.0, SETTINGS) == 7.0
    assert next_delay(5, 0.0, SETTINGS) == 0.0
    assert next_delay(0, -3.0, SETTINGS) == 0.0
    assert next_delay(0, 10 * MAX_RETRY_AFTER, SETTINGS) == MAX_RETRY_AFTER
    assert 0 <= next_delay(2, None, SETTINGS, random.Random(3)) <= 2.0


@pytest.mark.parametrize(
    ("attempts", "age", "gone"),
    [(2, 100.0, False), (3, 59.0, False), (3, 60.0, True), (8, 600.0, True), (1, 1e9, False)],
)
def test_give_up_needs_both_max_attempts_and_max_age(attempts: int, age: float, gone: bool) -> None:
    now = 1_800_000_000.0
    assert exhausted(attempts, now - age, SETTINGS, now) is gone


def test_the_breaker_opens_after_consecutive_failures() -> None:
    breaker = Breaker(threshold=3, cooldown=10.0)
    for now in (0.0, 1.0):
        breaker.failure(now)
        assert not breaker.is_open and breaker.wait(now) == 0.0
    breaker.failure(2.0)
    assert breaker.is_open
    assert breaker.wait(2.0) == 10.0
    assert breaker.wait(7.5) == 4.5


def test_a_success_resets_the_count() -> None:
    breaker = Breaker(threshold=2, cooldown=5.0)
    breaker.failure(0.0)
    breaker.success()
    breaker.failure(1.0)
    assert not breaker.is_open


def test_half_open_after_the_cooldown_then_a_probe_decides() -> None:
    breaker = Breaker(threshold=1, cooldown=5.0)
    breaker.failure(0.0)
    assert breaker.wait(5.0) == 0.0 and breaker.is_open  # half-open: one probe may go
    breaker.failure(5.1)
    assert breaker.wait(5.1) == 5.0  # the failed probe opens it for a full cooldown
    breaker.success()
    assert not breaker.is_open and breaker.wait(5.2) == 0.0 and breaker.failures == 0
