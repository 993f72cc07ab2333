"""`python -m bench` (`make bench`): ingest vs a bare endpoint, the policy stage, a tracking
plan and the delivery worker, measured in one run. Every process it starts is stopped on
exit, also on Ctrl-C or an error."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import configs, delivery, events, ingest, plans, policy, report, sampling
from bench.procs import ROOT, Processes

POOL_SIZE = 300


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk run length")
    parser.add_argument("--warmup", type=float, default=3.0, help="wrk warm-up length")
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    parser.add_argument("--processes", default="1,2", help="uvicorn process counts")
    sections = ["policy", "plans", "ingest", "redis", "profile", "delivery"]
    parser.add_argument("--skip", action="append", default=[], choices=sections)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and logs")
    return parser.parse_args(argv)


def machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    return {
        "cpus": os.cpu_count(), "python": platform.python_version(), "commit": commit,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }  # fmt: skip


def section(title: str, results: dict[str, Any], key: str, body: Callable[[], Any]) -> Any:
    print(f"\n== {title}", flush=True)
    started = time.monotonic()
    try:
        results[key] = body()
    except Exception as exc:  # one failing section must not hide the others
        traceback.print_exc()
        results.setdefault("errors", {})[key] = f"{type(exc).__name__}: {exc}"
        return None
    results.setdefault("section_seconds", {})[key] = round(time.monotonic() - started, 1)
    return results[key]


def print_lines(lines: list[str]) -> None:
    print("\n".join(lines), flush=True)


def run_ingest(
    args: argparse.Namespace, procs: Processes, work: Path, pool: list[Any], results: dict[str, Any]
) -> None:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): ingest skipped")
        return
    unavailable = "skipped (--skip redis)" if "redis" in args.skip else ingest.redis_unavailable()
    settings = ingest.Settings(args.seconds, args.warmup, single_connections=32,
                               batch_connections=8)  # fmt: skip
    counts = tuple(int(n) for n in args.processes.split(","))
    print(f"wrk -t1, {settings.seconds:g} s after {settings.warmup:g} s warm-up; connections "
          f"per process: single {settings.single_connections}, batch {settings.batch_connections}"
          "; gateway: outbox on (SQLite WAL, synchronous=FULL), edge only (--no-worker), "
          "3 destinations", flush=True)  # fmt: skip
    found = section(
        "ingest",
        results,
        "ingest",
        lambda: ingest.run(procs, work, pool, settings, counts, with_redis=unavailable is None),
    )
    if found is None:
        return
    if unavailable is None and any(k.startswith("gateway-redis") for k in found["errors"]):
        unavailable = "gateway failed to start on Redis (see errors)"
    found["redis"] = unavailable or "measured"
    print()
    print_lines(report.ingest_table(found))
    print_lines(report.scaling_table(found))
    if unavailable:
        print(f"redis backend: not available ({unavailable})")
    if "profile" not in args.skip:
        run_sampling(args, procs, work, pool, results)


def run_sampling(
    args: argparse.Namespace, procs: Processes, work: Path, pool: list[Any], results: dict[str, Any]
) -> None:
    seconds = args.seconds
    with_redis = "redis" not in args.skip and ingest.redis_unavailable() is None
    title = f"where the CPU goes (sampling profile, 1 process, {seconds:g} s each)"
    found = section(
        title, results, "profile", lambda: sampling.run(procs, work, pool, seconds, with_redis)
    )
    if found is None:
        return
    if "skipped" in found:
        print(f"skipped: {found['skipped']}")
        return
    for backend in found["profiles"]:
        print_lines(report.sampling_table(found, backend))


def run_all(args: argparse.Namespace, procs: Processes, work: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    print(f"machine: {results['machine']}")
    pool = events.events(POOL_SIZE)
    if "policy" not in args.skip:
        iterations = 600 if args.quick else 3000
        found = section("policy stage (in-process, one core)", results, "policy",
                        lambda: policy.run(work, pool, iterations))  # fmt: skip
        if found:
            print_lines(report.policy_table(found))
    if "plans" not in args.skip:
        iterations = 5000 if args.quick else 40_000
        found = section("tracking plan (in-process, one core)", results, "plans",
                        lambda: plans.run(iterations))  # fmt: skip
        if found:
            print_lines(plans.table(found))
    if "ingest" not in args.skip:
        run_ingest(args, procs, work, pool, results)
    if "delivery" not in args.skip:
        plan = [(1, 1500), (50, 10_000)] if args.quick else [(1, 4000), (50, 30_000)]
        timeout = 5.0 if args.quick else 12.0
        found = section(
            "delivery worker (gateway worker -> loopback receiver)",
            results,
            "delivery",
            lambda: delivery.run(procs, work, pool, plan, timeout),
        )
        if found:
            print_lines(report.delivery_table(found))
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = min(args.seconds, 3.0), min(args.warmup, 1.0)
    os.environ[configs.KEY_ENV] = configs.KEY_VALUE  # the in-process runtimes read it too
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupt)  # also when started with SIGINT ignored (`cmd &`)
    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    (work / "logs").mkdir()
    procs = Processes(work / "logs")
    started = time.monotonic()
    try:
        results = run_all(args, procs, work)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process the benchmark started", file=sys.stderr)
        results = {}
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        procs.close()
    if not results:
        shutil.rmtree(work, ignore_errors=True)
        return 130
    results["total_seconds"] = round(time.monotonic() - started, 1)
    print(f"\nresults: {report.save(results)}  ({results['total_seconds']:.0f} s)")
    if args.keep or results.get("errors") or results.get("ingest", {}).get("errors"):
        print(f"logs kept in {work / 'logs'}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if results.get("errors") else 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
