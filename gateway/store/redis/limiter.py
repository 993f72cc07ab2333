"""The shared rate limiter on Redis: a GCRA bucket per key, timed by the server's clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gateway.store.types import Charge

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

    async def hit_all(self, group: str, charges: Sequence[Charge]) -> float:
        """The group's buckets share a hash tag, `{P:rl:<group>}:<key>`, so one script
        takes them all on one Cluster node."""
        if not charges:
            return 0.0
        tag = "{" + f"{self._s.prefix}:rl:{group}" + "}:"
        keys = [tag + key for key, _, _, _ in charges]
        args = [value for _, rate, burst, cost in charges for value in (rate, burst, cost)]
        wait = await self._s.call(self._s.gcra_script(keys=keys, args=args))
        return float(wait)
