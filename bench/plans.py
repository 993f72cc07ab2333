"""In-process cost of a tracking plan per event: a plan of 50 events (8 properties each:
strings, numbers, enums, a nested array of objects; 3 required), applied to planned events
as they come (clean, with an unplanned property to trim, with a violation) and to
unplanned ones. The budget (issue 13) is 10 µs per event."""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

PLAN_EVENTS = 50
BUDGET_US = 10.0


def plan_document() -> dict[str, Any]:
    item = {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}}
    properties = {
        "order_id": {"type": "string"},
        "total": {"type": "number", "minimum": 0},
        "currency": {"enum": ["JPY", "USD", "EUR"]},
        "coupon": {"type": ["string", "null"]},
        "step": {"type": "integer"},
        "logged_in": {"type": "boolean"},
        "note": {"type": "string", "maxLength": 200},
        "items": {"type": "array", "items": item},
    }
    schema = {"type": "object", "properties": properties,
              "required": ["order_id", "total", "currency"]}  # fmt: skip
    # A title each, so that 50 distinct schemas are compiled (the same text compiles once).
    events = {f"Event {i:02d}": {"properties": {**schema, "title": f"Event {i:02d}"}}
              for i in range(PLAN_EVENTS)}  # fmt: skip
    return {"name": "bench", "violations": "drop_property", "events": events}


def sample(rng: random.Random, kind: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "order_id": f"o-{rng.randrange(10**6)}", "total": rng.random() * 1e4,
        "currency": rng.choice(["JPY", "USD"]), "step": rng.randrange(5),
        "logged_in": rng.random() < 0.5, "note": "gift wrap please",
        "items": [{"sku": f"A-{n}", "qty": 1 + n} for n in range(rng.randrange(1, 4))],
    }  # fmt: skip
    if kind == "extra property":
        properties["campaign_ref"] = "spring"
    elif kind == "violation":
        properties["currency"] = "GBP"
    name = f"Event {rng.randrange(PLAN_EVENTS):02d}" if kind != "unplanned" else "Not Planned"
    return {"type": "track", "event": name, "messageId": f"m-{rng.randrange(10**9)}",
            "properties": properties}  # fmt: skip


def run(iterations: int) -> dict[str, Any]:
    import orjson

    from gateway.config.schema import SourceConfig
    from gateway.plans.apply import PlanBook
    from gateway.plans.model import TrackingPlan

    started = time.perf_counter()
    plan = TrackingPlan.model_validate(plan_document())
    source = SourceConfig(id="bench", write_key="bench-key-0001", kind="ios", tracking_plan="bench")
    book = PlanBook([plan], [source])
    compile_ms = (time.perf_counter() - started) * 1000
    rng = random.Random(13)
    rows: dict[str, Any] = {}
    mix: list[float] = []
    for kind, share in (("clean", 70), ("extra property", 20), ("violation", 5), ("unplanned", 5)):
        bodies = [orjson.dumps(sample(rng, kind)) for _ in range(200)]
        samples = _timed(book, bodies, max(1, iterations * share // 100 // len(bodies)))
        rows[kind] = _summary(samples)
        mix += samples
    return {"plan_events": PLAN_EVENTS, "compile_ms": round(compile_ms, 1),
            "by_kind": rows, "mix": _summary(mix), "budget_us": BUDGET_US}  # fmt: skip


def _timed(book: Any, bodies: list[bytes], rounds: int) -> list[float]:
    import orjson

    samples: list[float] = []
    for _ in range(rounds):
        for event in [orjson.loads(b) for b in bodies]:
            batch = [event]
            begun = time.perf_counter_ns()
            book.apply("bench", batch)
            samples.append((time.perf_counter_ns() - begun) / 1000)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": round(statistics.median(ordered), 2),
        "p90_us": round(ordered[int(len(ordered) * 0.9)], 2),
        "iterations": len(ordered),
    }


def table(found: dict[str, Any]) -> list[str]:
    lines = [f"plan of {found['plan_events']} events, compiled in {found['compile_ms']} ms"]
    lines.append(f"{'event':<16} {'median µs':>10} {'p90 µs':>8} {'n':>7}")
    for kind, row in [*found["by_kind"].items(), ("mix 70/20/5/5", found["mix"])]:
        lines.append(f"{kind:<16} {row['median_us']:>10} {row['p90_us']:>8} {row['iterations']:>7}")
    verdict = "within" if found["mix"]["median_us"] <= found["budget_us"] else "OVER"
    lines.append(f"budget {found['budget_us']:g} µs per event: median of the mix {verdict}")
    return lines
