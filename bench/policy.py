"""In-process CPU cost per event: the policy stage alone on 1, 8 and 32 KiB events, and
each pipeline stage on the realistic event mix (one core, no HTTP, no store)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench import configs, events

SIZES_KIB = (1, 8, 32)
POLICY_BUDGET_US = 50.0


def _timed(
    call: Callable[[Any], Any],
    bodies: list[bytes],
    rounds: int,
    *,
    parsed: bool = True,
    before: Callable[[], Any] | None = None,
) -> list[float]:
    """µs per call; every call gets a fresh copy (the stages mutate the event). `before`
    runs untimed ahead of each call (the cold runs empty the policy's string caches)."""
    samples: list[float] = []
    for _ in range(rounds):
        for copy in [orjson.loads(b) for b in bodies] if parsed else bodies:
            if before is not None:
                before()
            started = time.perf_counter_ns()
            call(copy)
            samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": round(statistics.median(ordered), 2),
        "p90_us": round(ordered[int(len(ordered) * 0.9)], 2),
        "iterations": len(ordered),
    }


def policy_sizes(config: Any, iterations: int) -> list[dict[str, Any]]:
    from gateway.policy.consent.resolver import RequestSignals
    from gateway.policy.engine import PolicyEngine

    engine = PolicyEngine(config.policy, config.sources)
    source, signals = config.sources[0], RequestSignals()
    rows = []
    for kib in SIZES_KIB:
        body = orjson.dumps(events.sized(kib * 1024))
        rounds = max(20, iterations // kib)
        samples = _timed(lambda e: engine.evaluate(e, source, signals, None), [body], rounds)
        row = {"size_kib": kib, "bytes": len(body), **_summary(samples)}
        row["us_per_kib"] = round(row["median_us"] / (len(body) / 1024), 2)
        cold = _timed(
            lambda e: engine.evaluate(e, source, signals, None),
            [body],
            max(10, rounds // 4),
            before=engine.scrubber.forget_clean,
        )  # a unique event: no string found clean before
        row["cold_median_us"] = _summary(cold)["median_us"]
        rows.append(row)
    return rows


def policy_mix(config: Any, pool: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    """The policy stage on the realistic ~1 KB mix, after enrichment as in the pipeline."""
    from gateway.policy.consent.resolver import RequestSignals
    from gateway.policy.engine import PolicyEngine

    engine = PolicyEngine(config.policy, config.sources)
    source, signals = config.sources[0], RequestSignals()
    bodies = [orjson.dumps(e) for e in pool]
    samples = _timed(lambda e: engine.evaluate(e, source, signals, None), bodies, rounds)
    mean_bytes = statistics.mean(len(b) for b in bodies)
    return {"events": len(bodies), "mean_bytes": round(mean_bytes), **_summary(samples)}


async def pipeline_stages(config: Any, pool: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    """enrich / policy+route / outbox rows per event, through the gateway's own runtime."""
    from gateway.intake.spec import events_from, parse_json
    from gateway.policy.consent.resolver import RequestSignals
    from gateway.runtime import Gateway

    gateway = Gateway(config, run_worker=False)
    runtime = await gateway.start()
    try:
        pipeline, source, signals = runtime.pipeline, config.sources[0], RequestSignals()
        limits = config.gateway.limits
        bodies = [orjson.dumps(e) for e in pool]
        batches = [orjson.dumps({"batch": [e]}) for e in pool]
        enriched = [orjson.dumps(_enriched(pipeline, e)) for e in pool]
        keys = pipeline.keys.for_event(pool[0])

        def process(event: dict[str, Any]) -> Any:
            return pipeline.process(event, keys, source, signals, {})

        def rows(event: dict[str, Any]) -> Any:
            return pipeline.outbox_items(process(event), source, time.time())

        stages = {
            "parse+validate": _timed(
                lambda b: events_from(parse_json(b), None, limits), batches, rounds,
                parsed=False),
            "enrich": _timed(pipeline.prepare, bodies, rounds),
            "policy+route": _timed(process, enriched, rounds),
            "policy+route+outbox rows": _timed(rows, enriched, rounds),
        }  # fmt: skip
        return {name: _summary(samples) for name, samples in stages.items()}
    finally:
        await gateway.stop()


def _enriched(pipeline: Any, event: dict[str, Any]) -> dict[str, Any]:
    copy = orjson.loads(orjson.dumps(event))
    pipeline.prepare(copy)
    return dict(copy)


def run(work: Path, pool: list[dict[str, Any]], iterations: int) -> dict[str, Any]:
    from gateway.destinations.registry import read_config

    directory = configs.write(
        work / "policy-config", configs.sqlite_storage(work / "policy-config"),
        configs.ingest_destinations(work / "policy-config", 9),
    )  # fmt: skip
    config = read_config(directory)
    realistic = [dict(e, messageId=f"m-{i}") for i, e in enumerate(pool)]
    rounds = max(3, iterations // len(pool))
    return {
        "policy_by_size": policy_sizes(config, iterations),
        "policy_mix": policy_mix(config, realistic, rounds),
        "pipeline_stages": asyncio.run(pipeline_stages(config, realistic, rounds)),
    }
