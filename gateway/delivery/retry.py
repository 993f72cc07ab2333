"""When to try again, when to give up, and when to stop calling a failing vendor."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from gateway.config.schema import DeliveryConfig

MAX_RETRY_AFTER = 3600.0


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
    and Jitter"): uniform in [0, min(cap, base * 2^attempt)]."""
    ceiling = min(cap, base * (2 ** min(attempt, 30)))
    return (rng or random).uniform(0, ceiling)


def next_delay(
    attempt: int,
    retry_after: float | None,
    settings: DeliveryConfig,
    rng: random.Random | None = None,
) -> float:
    """The vendor's Retry-After wins when it gave one (bounded to an hour)."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    return backoff(attempt, settings.backoff_base_seconds, settings.backoff_max_seconds, rng)


def exhausted(attempts: int, created_at: float, settings: DeliveryConfig, now: float) -> bool:
    """Dead-letter only once both limits are reached: at least `max_attempts` attempts and
    older than `max_age_seconds`, so a vendor outage shorter than max_age loses nothing."""
    return attempts >= settings.max_attempts and now - created_at >= settings.max_age_seconds


@dataclass
class Breaker:
    """Opens after `threshold` consecutive failed requests; after `cooldown` lets one
    request through (half-open); a success closes it, a failure opens it again."""

    threshold: int
    cooldown: float
    failures: int = 0
    opened_at: float | None = None

    def wait(self, now: float | None = None) -> float:
        """Seconds until a request may go (0 when closed or half-open)."""
        if self.opened_at is None:
            return 0.0
        remaining = self.opened_at + self.cooldown - (now if now is not None else time.monotonic())
        return max(0.0, remaining)

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failure(self, now: float | None = None) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = now if now is not None else time.monotonic()
