"""The ingest metrics kept as plain tallies render exactly as prometheus_client's own
Counter and Histogram did: names, types, help, labels, buckets, values (the _created
timestamps aside)."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from gateway.observability.metrics import INGEST_BUCKETS, Metrics

OBSERVED = [0.0001, 0.0005, 0.0007, 0.003, 1.0, 2.5, 7.0, 0.25]


def _without_created_values(text: str) -> list[str]:
    return [re.sub(r"(_created\{.*\}) .*", r"\1", line) for line in text.splitlines()]


def test_tallies_render_as_the_librarys_metrics() -> None:
    ours = Metrics()
    library = CollectorRegistry()
    requests = Counter("gateway_http_requests", "HTTP requests by endpoint and status",
                       ["endpoint", "status"], registry=library)  # fmt: skip
    latency = Histogram("gateway_ingest_seconds",
                        "Time to accept a request (parse, policy, durable enqueue)",
                        ["endpoint"], buckets=INGEST_BUCKETS, registry=library)  # fmt: skip
    for status in ("200", "200", "400"):
        ours.requests.inc(("/v1/track", status))
        requests.labels("/v1/track", status).inc()
    ours.requests.inc(("/v1/batch", "200"), 0)
    requests.labels("/v1/batch", "200").inc(0)
    for seconds in OBSERVED:
        ours.ingest_latency.observe(("/v1/t",), seconds)
        latency.labels("/v1/t").observe(seconds)
    text = generate_latest(ours.registry).decode()
    expected = generate_latest(library).decode()
    for name in ("gateway_http_requests", "gateway_ingest_seconds"):
        got = [line for line in _without_created_values(text) if name in line]
        want = [line for line in _without_created_values(expected) if name in line]
        assert got == want


def test_an_unused_tally_renders_its_help_and_type_only() -> None:
    text = generate_latest(Metrics().registry).decode()
    assert "# TYPE gateway_plan_findings_total counter" in text
    assert "gateway_plan_findings_total{" not in text
