"""Rate limits at the HTTP edge: the bucket of a client address, a charge that refuses with
429 + Retry-After, and failed authentication counted per address (a check before the
secret is compared, a charge only when it was wrong)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from gateway.config.schema import RateLimit
from gateway.enrich.ip import truncate_ip
from gateway.errors import RateLimited, Unauthorized
from gateway.store.types import RateLimiter

T = TypeVar("T")


def bucket(address: str | None) -> str | None:
    """The rate-limit bucket of a client address: IPv6 clients get a /64 each (one host
    can use every address of its /64, so a bucket per address is no limit at all)."""
    if address is None or ":" not in address:
        return address
    return truncate_ip(address, 32, 64) or address


async def charge(
    limiter: RateLimiter, key: str | None, limit: RateLimit | None, cost: int = 1
) -> None:
    """Take `cost` from the bucket `key`; RateLimited when it is empty (no key or no limit:
    nothing to count)."""
    if key is None or limit is None:
        return
    wait = await limiter.hit(key, limit.rate, limit.burst, cost)
    if wait > 0:
        raise RateLimited("rate limit exceeded", retry_after=wait)


async def charge_all(
    limiter: RateLimiter, group: str, charges: Sequence[tuple[str, RateLimit | None, int]]
) -> None:
    """`charge` for each (bucket, limit, cost) under `group`, in order and in one call
    (one round trip on Redis); buckets without a limit are not counted."""
    counted = [
        (key, limit.rate, limit.burst, cost) for key, limit, cost in charges if limit is not None
    ]
    if not counted:
        return
    wait = await limiter.hit_all(group, counted)
    if wait > 0:
        raise RateLimited("rate limit exceeded", retry_after=wait)


async def authenticated(
    limiter: RateLimiter,
    address: str | None,
    limit: RateLimit | None,
    check: Callable[[], Awaitable[T]],
) -> T:
    """Run `check` (which raises Unauthorized for a wrong credential) unless this address
    has already failed too often; each failure is counted."""
    where = bucket(address)
    key = f"authfail:{where}" if where is not None else None
    if key is not None and limit is not None:
        wait = await limiter.hit(key, limit.rate, limit.burst, cost=0)
        if wait > 0:
            raise RateLimited("too many failed authentication attempts", retry_after=wait)
    try:
        return await check()
    except Unauthorized:
        await charge(limiter, key, limit)
        raise
