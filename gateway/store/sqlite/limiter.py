"""Token buckets in process memory, for the single-node SQLite backend (the Redis backend
shares its buckets between every process and node)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence

from gateway.store.types import Charge

MAX_KEYS = 100_000


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def hit(self, key: str, rate: float, burst: int, cost: int = 1) -> float:
        now = time.monotonic()
        tokens, last = self._buckets.pop(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        need = float(min(max(cost, 1), burst))
        if tokens >= need:
            self._buckets[key] = (tokens - cost, now)  # below zero: a large batch's debt
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (need - tokens) / rate
        if len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        return wait

    async def hit_all(self, group: str, charges: Sequence[Charge]) -> float:
        for key, rate, burst, cost in charges:
            wait = await self.hit(f"{group}:{key}", rate, burst, cost)
            if wait > 0:
                return wait
        return 0.0
