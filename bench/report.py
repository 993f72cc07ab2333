"""The printed tables and the JSON file. Every ratio compares figures from the same run."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")
SINGLE_GOAL = 0.5  # × bare requests/s at the same process count
BATCH_GOAL = 10_000  # events/s per process
SCALE_GOAL = 1.6  # 2 processes vs 1
POLICY_GOAL_US = 50.0
DELIVERY_GOAL = 2000


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def _find(rows: list[dict[str, Any]], target: str, workers: int, kind: str) -> dict[str, Any]:
    for row in rows:
        if (row["target"], row["processes"], row["kind"]) == (target, workers, kind):
            return row
    return {}


def _goal(row: dict[str, Any], bare: dict[str, Any]) -> tuple[str, str]:
    """(ratio to bare, goal with verdict) for one gateway row."""
    ratio = row["requests_per_s"] / bare["requests_per_s"] if bare else None
    shown = f"{ratio:.2f}x" if ratio is not None else "-"
    if row["target"] == "bare":
        return "1.00x", ""
    if row["events_per_request"] == 1:
        met = ratio is not None and ratio >= SINGLE_GOAL
        return shown, f">= {SINGLE_GOAL}x bare: {_verdict(met)}"
    per_process = row["events_per_s"] / row["processes"]
    return shown, f">= 10k ev/s/proc ({per_process:,.0f}): {_verdict(per_process >= BATCH_GOAL)}"


def ingest_table(section: dict[str, Any]) -> list[str]:
    rows = section["rows"]
    lines = [
        f"{'target':<18} {'procs':>5} {'kind':<8} {'req/s':>9} {'events/s':>10} "
        f"{'p50 ms':>7} {'p99 ms':>8} {'errors':>6} {'vs bare':>8} {'cpu us/ev':>9} "
        f"{'cpu/bare':>8}  goal",
    ]
    for row in rows:
        bare = _find(rows, "bare", row["processes"], row["kind"])
        ratio, goal = _goal(row, bare)
        errors = row["non_2xx"] + row["socket_errors"]
        cpu, bare_cpu = row.get("server_cpu_us_per_event"), bare.get("server_cpu_us_per_event")
        cpu_ratio = f"{cpu / bare_cpu:.1f}x" if cpu and bare_cpu else "-"
        lines.append(
            f"{row['target']:<18} {row['processes']:>5} {row['kind']:<8} "
            f"{row['requests_per_s']:>9,.0f} {row['events_per_s']:>10,.0f} "
            f"{row['p50_ms']:>7.1f} {row['p99_ms']:>8.1f} {errors:>6} {ratio:>8} "
            f"{cpu or 0:>9,.0f} {cpu_ratio:>8}  {goal}"
        )
    lines.append(
        "vs bare = requests/s ratio at the same process count; cpu us/ev = CPU time of the "
        "server's processes per event during the timed run (robust to a busy machine; "
        "redis-server not included)"
    )
    return lines


def scaling_table(section: dict[str, Any]) -> list[str]:
    rows = section["rows"]
    lines = []
    for row in rows:
        if row["processes"] != 1:
            continue
        two = _find(rows, row["target"], 2, row["kind"])
        if not two or not row["requests_per_s"]:
            continue
        factor = two["requests_per_s"] / row["requests_per_s"]
        goal = "" if row["target"] == "bare" else f"  >= {SCALE_GOAL}x: {_verdict(factor >= 1.6)}"
        lines.append(f"{row['target']:<18} {row['kind']:<8} 2 procs / 1 proc = {factor:.2f}x{goal}")
    for workers in (1, 2):
        for kind in ("single", "batch50"):
            redis = _find(rows, "gateway-redis", workers, kind)
            sqlite = _find(rows, "gateway-sqlite", workers, kind)
            if redis and sqlite and sqlite["events_per_s"]:
                factor = redis["events_per_s"] / sqlite["events_per_s"]
                lines.append(f"redis / sqlite  {kind:<8} x{workers}: {factor:.2f}x")
            waited = _find(rows, "gateway-redis-wait", workers, kind)
            if waited and redis and redis["events_per_s"]:
                factor = waited["events_per_s"] / redis["events_per_s"]
                lines.append(f"redis WAIT 1 / redis {kind:<8} x{workers}: {factor:.2f}x")
    return lines


def policy_table(section: dict[str, Any]) -> list[str]:
    lines = [
        f"{'event':<10} {'bytes':>6} {'median us':>10} {'cold us':>8} {'p90 us':>8} "
        f"{'us/KiB':>7}  goal (cold)"
    ]
    sizes = section["policy_by_size"]
    for row in sizes:
        goal = ""
        cold = row.get("cold_median_us", row["median_us"])
        if row["size_kib"] == 1:
            goal = f"< {POLICY_GOAL_US:.0f} us: {_verdict(cold < POLICY_GOAL_US)}"
        lines.append(
            f"{row['size_kib']:>3} KiB    {row['bytes']:>6} {row['median_us']:>10.1f} "
            f"{cold:>8.1f} {row['p90_us']:>8.1f} {row['us_per_kib']:>7.1f}  {goal}"
        )
    mix = section["policy_mix"]
    lines.append(
        f"{'mix ~1 KB':<10} {mix['mean_bytes']:>6} {mix['median_us']:>10.1f} "
        f"{mix['p90_us']:>8.1f} {'':>7}  realistic events, as posted"
    )
    first, last = sizes[0], sizes[-1]
    growth = last["median_us"] / first["median_us"]
    lines.append(
        f"growth 1 -> 32 KiB: time x{growth:.1f} for bytes x"
        f"{last['bytes'] / first['bytes']:.1f} (linear or better when time <= bytes)"
    )
    lines.append("")
    lines.append("pipeline stages per event (realistic mix, in-process, median us):")
    for name, stats in section["pipeline_stages"].items():
        lines.append(f"  {name:<26} {stats['median_us']:>8.1f}  (p90 {stats['p90_us']:.1f})")
    return lines


def sampling_table(section: dict[str, Any], backend: str) -> list[str]:
    """Each stage's share of the samples, and that share of the event loop thread's CPU
    per event in the profiled run."""
    profiles = section["profiles"][backend]
    header = "".join(f" {p['workload'] + ' share':>13} {'us/ev':>6}" for p in profiles)
    lines = [f"{backend + ': stage':<44}{header}"]
    stages = list(dict.fromkeys(s for p in profiles for s in p["shares"]))
    for stage in stages:
        cells = ""
        for p in profiles:
            share, per_event = p["shares"].get(stage, 0.0), p["loop_cpu_us_per_event"]
            shown = f"{share * per_event:6.0f}" if per_event else f"{'-':>6}"
            cells += f" {share:>13.0%} {shown}"
        lines.append(f"{stage:<44}{cells}")
    loop = ", ".join(f"{p['workload']} {p['loop_cpu_us_per_event']} us" for p in profiles)
    samples = ", ".join(f"{p['workload']} {p['samples']:,}" for p in profiles)
    lines.append(f"event loop thread CPU per event while sampled: {loop}")
    lines.append(f"samples: {samples} (py-spy --native --gil at {section['rate_hz']} Hz)")
    return lines


def delivery_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"{'destination':<12} {'batch':>5} {'events':>7} {'seconds':>7} {'events/s':>9} "
        f"{'cpu s':>6} {'ev/cpu-s':>9} {'ledger':>7} {'dead':>5}  goal",
    ]
    for row in rows:
        met = row["events_per_s"] >= DELIVERY_GOAL
        lines.append(
            f"{row['destination']:<12} {row['batch_size']:>5} {row['delivered_timed']:>7} "
            f"{row['seconds']:>7.2f} {row['events_per_s']:>9,.0f} {row['worker_cpu_s']:>6.2f} "
            f"{row['events_per_cpu_s']:>9,.0f} {row['ledger_rows']:>7} {row['dead_letters']:>5}"
            f"  >= {DELIVERY_GOAL}/s: {_verdict(met)}"
        )
    return lines


def save(results: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
