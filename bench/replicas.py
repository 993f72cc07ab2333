"""`python -m bench.replicas`: the cost of `storage.min_replicas` (WAIT after each write) on
the Redis outbox's enqueue, measured at the store (no HTTP): a master and one replica on
loopback, N concurrent writers each enqueueing one event at a time, min_replicas 0 and 1
alternated so the machine's noise falls on both."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from gateway.config.schema import RedisStorage
from gateway.store.redis import RedisStore
from gateway.store.types import Dedupe, OutboxItem, Provenance

PROVENANCE = Provenance(
    policy_version="bench", consent={}, purposes=[], categories=[], country="JP"
)


async def measure(url: str, replicas: int, seconds: float, writers: int) -> tuple[float, float]:
    """Enqueues per second, and the median latency in ms."""
    storage = RedisStorage(backend="redis", url=url, min_replicas=replicas)
    store = await RedisStore.connect(storage)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def writer(n: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            i += 1
            message = f"w{replicas}-{n}-{i}-{time.time_ns()}"
            item = OutboxItem("hook", f"{message}:hook", message, "server", ("k",),
                              {"event": "Viewed"}, PROVENANCE, time.time())  # fmt: skip
            started = time.perf_counter()
            await store.outbox.enqueue([item], Dedupe((("server", message),), 3600))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in range(writers)))
    elapsed = time.perf_counter() - started
    await store.aclose()
    return len(latencies) / elapsed, statistics.median(latencies) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support.redis_server import RedisServer, replica_of, wait_synced

    with tempfile.TemporaryDirectory() as directory:
        master = RedisServer(Path(directory) / "master").start()
        replica = replica_of(Path(directory) / "replica", master).start()
        try:
            wait_synced(replica)
            results: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
            for _ in range(args.rounds):
                for replicas in (0, 1):
                    rate, median = asyncio.run(
                        measure(master.url, replicas, args.seconds, args.writers)
                    )
                    results[replicas].append((rate, median))
                    line = f"{rate:7.0f} enqueues/s, median {median:.2f} ms"
                    print(f"min_replicas {replicas}: {line}")
        finally:
            replica.stop()
            master.stop()
    plain = statistics.median(r for r, _ in results[0])
    waited = statistics.median(r for r, _ in results[1])
    print(f"median of rounds: {plain:.0f} vs {waited:.0f} enqueues/s; ratio {waited / plain:.2f}")


if __name__ == "__main__":
    main()
