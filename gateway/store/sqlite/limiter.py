"""Token buckets in process memory, for the single-node SQLite backend (the Redis backend
shares its buckets between every process and node)."""

from __future__ import annotations

import time
from collections import OrderedDict

MAX_KEYS = 100_000


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def hit(self, key: str, rate: float, burst: int) -> float:
        now = time.monotonic()
        tokens, last = self._buckets.pop(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) / rate
        if len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        return wait
