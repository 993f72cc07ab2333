"""The shared rate limiter on Redis: a GCRA bucket per key, timed by the server's clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.store.redis.store import RedisStore


class RedisRateLimiter:
    def __init__(self, store: RedisStore) -> None:
        self._s = store

    async def hit(self, key: str, rate: float, burst: int, cost: int = 1) -> float:
        bucket = "{" + f"{self._s.prefix}:rl:{key}" + "}"
        script = self._s.gcra_script(keys=[bucket], args=[rate, burst, cost])
        wait = await self._s.call(script)
        return float(wait)
