"""Delivery worker throughput: preload the outbox through the gateway's own pipeline, then
time `gateway worker` draining it into a loopback receiver that answers 200 at once."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson

from bench import configs
from bench.procs import Processes, cpu_seconds, free_port, gateway_argv, uvicorn_argv

GOAL_PER_CORE = 2000
CHUNK = 500


async def preload(directory: Path, pool: list[dict[str, Any]], count: int) -> int:
    """Runs `count` events through enrich → policy → route and enqueues their rows."""
    from gateway.destinations.registry import read_config
    from gateway.policy.consent.resolver import RequestSignals
    from gateway.runtime import Gateway

    config = read_config(directory)
    gateway = Gateway(config, run_worker=False)
    runtime = await gateway.start()
    pipeline, source, signals = runtime.pipeline, config.sources[0], RequestSignals()
    rows = 0
    try:
        for start in range(0, count, CHUNK):
            items = []
            for n in range(start, min(start + CHUNK, count)):
                event = orjson.loads(orjson.dumps(pool[n % len(pool)]))
                event["messageId"] = f"preload-{n}"
                keys = pipeline.prepare(event)
                outcome = pipeline.process(event, keys, source, signals, {})
                items += pipeline.outbox_items(outcome, source, time.time())
            await runtime.store.outbox.enqueue(items)
            rows += len(items)
    finally:
        await gateway.stop()
    return rows


def _count(db: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def drain(procs: Processes, directory: Path, rows: int, timeout: float) -> dict[str, Any]:
    """Starts the worker and waits until the outbox is empty (or `timeout`)."""
    db = directory / "gateway.db"
    pid = procs.start(
        f"worker-{directory.name}",
        gateway_argv("worker", directory, "--log-level", "warning"),
        {configs.KEY_ENV: configs.KEY_VALUE},
    )
    try:
        first_at, first_cpu, left = None, 0.0, rows
        deadline = time.monotonic() + timeout + 15  # startup is not part of the timing
        while left and time.monotonic() < deadline and procs.alive(pid):
            time.sleep(0.05)
            left = _count(db, "outbox")
            if first_at is None and left < rows:
                first_at, first_cpu, base = time.monotonic(), cpu_seconds(pid), left
                deadline = first_at + timeout
        ended, cpu = time.monotonic(), cpu_seconds(pid)
    finally:
        procs.stop(pid)
    if first_at is None:
        raise RuntimeError(f"the worker delivered nothing:\n{procs.log_dir}")
    delivered, seconds = base - left, max(ended - first_at, 1e-6)
    return {
        "rows": rows, "delivered_timed": delivered, "left": left, "seconds": round(seconds, 2),
        "events_per_s": round(delivered / seconds, 1),
        "worker_cpu_s": round(cpu - first_cpu, 2),
        "events_per_cpu_s": round(delivered / max(cpu - first_cpu, 1e-6), 1),
        "ledger_rows": _count(db, "ledger"), "dead_letters": _count(db, "dead_letter"),
    }  # fmt: skip


def run(
    procs: Processes,
    work: Path,
    pool: list[dict[str, Any]],
    plan: list[tuple[int, int]],
    timeout: float,
) -> list[dict[str, Any]]:
    """`plan`: (batch_size, events) per measurement."""
    port = free_port()
    receiver = procs.start("receiver", uvicorn_argv("bench.bare_app:app", port, 1))
    procs.wait_http(receiver, f"http://127.0.0.1:{port}/")
    results = []
    try:
        for batch_size, count in plan:
            directory = work / f"delivery-b{batch_size}"
            destination = configs.receiver_destination(f"http://127.0.0.1:{port}/hook", batch_size)
            configs.write(directory, configs.sqlite_storage(directory), [destination])
            rows = asyncio.run(preload(directory, pool, count))
            result = drain(procs, directory, rows, timeout)
            results.append({"destination": "webhook", "batch_size": batch_size, **result})
    finally:
        procs.stop(receiver)
    return results
