"""Ingest under wrk: the bare endpoint, the gateway on SQLite and (when the backend exists)
on Redis, each at 1 and 2 uvicorn processes, single events and batches of 50."""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import configs, load
from bench.procs import (
    Processes,
    StartError,
    free_port,
    gateway_argv,
    group_cpu_seconds,
    start_redis,
    uvicorn_argv,
)

BATCH_SIZE = 50
SETTLE_SECONDS = 1.0


@dataclass(frozen=True)
class Settings:
    seconds: float
    warmup: float
    single_connections: int  # per process
    batch_connections: int  # per process


@dataclass(frozen=True)
class Target:
    name: str
    start: Callable[[Processes, Path, int, int], int]
    """(procs, work dir, port, processes) -> pid of the server, once it answers."""


def start_bare(procs: Processes, work: Path, port: int, workers: int) -> int:
    pid = procs.start(f"bare-{workers}", uvicorn_argv("bench.bare_app:app", port, workers))
    procs.wait_http(pid, f"http://127.0.0.1:{port}/")
    return pid


def _start_gateway(procs: Processes, directory: Path, port: int, workers: int) -> int:
    argv = gateway_argv("serve", directory, "--port", str(port), "--workers", str(workers),
                        "--no-worker", "--log-level", "warning")  # fmt: skip
    pid = procs.start(f"gateway-{directory.name}", argv, {configs.KEY_ENV: configs.KEY_VALUE})
    procs.wait_http(pid, f"http://127.0.0.1:{port}/readyz")
    return pid


def start_sqlite(procs: Processes, work: Path, port: int, workers: int) -> int:
    directory = work / f"sqlite-{workers}"
    storage = configs.sqlite_storage(directory)
    configs.write(directory, storage, configs.ingest_destinations(directory, free_port()))
    return _start_gateway(procs, directory, port, workers)


def start_redis_gateway(procs: Processes, work: Path, port: int, workers: int) -> int:
    directory = work / f"redis-{workers}"
    _, redis_port = start_redis(procs, directory / "redis-data")
    storage = configs.redis_storage(redis_port)
    configs.write(directory, storage, configs.ingest_destinations(directory, free_port()))
    return _start_gateway(procs, directory, port, workers)


def start_redis_wait_gateway(procs: Processes, work: Path, port: int, workers: int) -> int:
    """The Redis row with a replica and `min_replicas: 1`: every enqueue waits (WAIT) for
    the replica, on the same machine, so its CPU competes with the gateway's."""
    directory = work / f"redis-wait-{workers}"
    _, redis_port = start_redis(procs, directory / "redis-data")
    start_redis(procs, directory / "replica-data", replica_of=redis_port)
    time.sleep(1.0)  # the first sync (diskless, immediate) of an empty master
    storage = configs.redis_storage(redis_port, min_replicas=1)
    configs.write(directory, storage, configs.ingest_destinations(directory, free_port()))
    return _start_gateway(procs, directory, port, workers)


def redis_unavailable() -> str | None:
    """Why the Redis rows cannot run, or None when they can."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    if importlib.util.find_spec("gateway.store.redis") is None:
        return "gateway/store/redis/ does not exist yet"
    return None


def targets(with_redis: bool) -> list[Target]:
    out = [Target("bare", start_bare), Target("gateway-sqlite", start_sqlite)]
    if with_redis:
        out.append(Target("gateway-redis", start_redis_gateway))
        out.append(Target("gateway-redis-wait", start_redis_wait_gateway))
    return out


@contextlib.contextmanager
def serving(
    procs: Processes, target: Target, work: Path, workers: int
) -> Iterator[tuple[int, int]]:
    """Yields (port, pid of the server); stops everything the target started."""
    port = free_port()
    before = set(procs.running())
    try:
        pid = target.start(procs, work, port, workers)
        time.sleep(SETTLE_SECONDS)  # let every uvicorn worker finish its startup
        yield port, pid
    finally:
        for pid in set(procs.running()) - before:
            procs.stop(pid)


def measure(
    procs: Processes, server: tuple[int, int], workload: load.Workload, settings: Settings,
    workers: int,
) -> dict[str, Any]:  # fmt: skip
    port, pid = server
    per_process = (
        settings.single_connections
        if workload.events_per_request == 1
        else settings.batch_connections
    )
    connections = per_process * workers
    load.run(procs, port, workload, settings.warmup, connections)
    cpu = group_cpu_seconds(pid)
    result = load.run(procs, port, workload, settings.seconds, connections)
    cpu = group_cpu_seconds(pid) - cpu
    events = result.requests * workload.events_per_request
    return {
        "connections": connections,
        "events_per_request": workload.events_per_request,
        "events_per_s": round(result.rps * workload.events_per_request, 1),
        "server_cpu_s": round(cpu, 2),
        "server_cpu_us_per_event": round(cpu / events * 1e6, 1) if events else None,
        **result.as_dict(),
    }


def run_target(
    procs: Processes, work: Path, target: Target, workers: int,
    workloads: list[load.Workload], settings: Settings,
) -> list[dict[str, Any]]:  # fmt: skip
    rows = []
    with serving(procs, target, work, workers) as server:
        for workload in workloads:
            row = measure(procs, server, workload, settings, workers)
            rows.append({"target": target.name, "processes": workers,
                         "kind": workload.name, **row})  # fmt: skip
            print(f"  {target.name:<18} x{workers} {workload.name:<8} "
                  f"{row['requests_per_s']:>9,.0f} req/s  {row['events_per_s']:>9,.0f} ev/s  "
                  f"p99 {row['p99_ms']:.1f} ms", flush=True)  # fmt: skip
    return rows


def workloads(work: Path, pool: list[dict[str, Any]]) -> list[load.Workload]:
    singles = load.write_singles(work / "singles.tsv", pool)
    batches = load.write_batches(work / "batches.tsv", pool, 40, BATCH_SIZE)
    return [
        load.Workload("single", singles, configs.basic_auth(configs.WEB_KEY), 1),
        load.Workload(f"batch{BATCH_SIZE}", batches,
                      configs.basic_auth(configs.SERVER_KEY), BATCH_SIZE),
    ]  # fmt: skip


def run(
    procs: Processes, work: Path, pool: list[dict[str, Any]], settings: Settings,
    process_counts: tuple[int, ...], with_redis: bool,
) -> dict[str, Any]:  # fmt: skip
    """Interleaves the targets at each process count so drift hits them alike."""
    loads = workloads(work, pool)
    rows: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for workers in process_counts:
        for target in targets(with_redis):
            try:
                rows += run_target(procs, work, target, workers, loads, settings)
            except (StartError, RuntimeError) as exc:
                errors[f"{target.name} x{workers}"] = str(exc)
                print(f"  {target.name} x{workers}: FAILED — {str(exc).splitlines()[0]}")
            shutil.rmtree(work / f"{target.name.removeprefix('gateway-')}-{workers}",
                          ignore_errors=True)  # fmt: skip
    return {"rows": rows, "errors": errors}
