"""The shared rate limiter on Redis: a GCRA bucket per key, timed by the server's clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.store.redis.store import RedisStore


class RedisRateLimiter:
    def __init__(self, store: RedisStore) -> None:
        self._s = store

    async def hit(self, key: str, rate: float, burst: int) -> float:
        bucket = "{" + f"{self._s.prefix}:rl:{key}" + "}"
        wait = await self._s.call(self._s.gcra_script(keys=[bucket], args=[rate, burst]))
        return float(wait)
