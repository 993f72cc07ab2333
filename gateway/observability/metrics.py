"""Prometheus metrics, on a registry built per app (no module-level state). Label values
are endpoint templates, status codes, reason codes, destination names and category names
from the config: never anything taken from a payload.

What every ingest request counts is kept in Tally and Timings (plain floats per label
tuple, rendered by one collector under the same names, labels and types as the
library's Counter and Histogram): a child's inc() or observe() costs ~0.4-1 us there,
several per request, taking a lock each time for a loop that is their only writer."""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

INGEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


class Tally:
    """A labelled counter: label values (in `labelnames` order) -> total."""

    __slots__ = ("counts", "created", "documentation", "labelnames", "name")

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str]) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self.counts: dict[tuple[str, ...], float] = {}
        self.created: dict[tuple[str, ...], float] = {}

    def inc(self, labels: tuple[str, ...], amount: float = 1.0) -> None:
        counts = self.counts
        if labels in counts:
            counts[labels] += amount
        else:
            counts[labels] = amount
            self.created[labels] = time.time()

    def family(self) -> Metric:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, value in list(self.counts.items()):  # a copy: list() holds the GIL
            family.add_metric(labels, value, created=self.created[labels])
        return family


class Timings:
    """A labelled histogram: label values -> a count per bucket (the last is +Inf) and the
    sum."""

    __slots__ = ("bounds", "created", "documentation", "labelnames", "le", "name", "series")

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], bounds: Sequence[float]
    ) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self.bounds = tuple(float(b) for b in bounds)
        self.le = [*(floatToGoString(b) for b in self.bounds), "+Inf"]  # type: ignore[no-untyped-call]
        self.series: dict[tuple[str, ...], list[float]] = {}
        self.created: dict[tuple[str, ...], float] = {}

    def observe(self, labels: tuple[str, ...], value: float) -> None:
        counts = self.series.get(labels)
        if counts is None:
            counts = self.series[labels] = [0.0] * (len(self.bounds) + 2)
            self.created[labels] = time.time()
        counts[bisect_left(self.bounds, value)] += 1  # the first bound >= value ("le")
        counts[-1] += value

    def family(self) -> Metric:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, counts in list(self.series.items()):
            cumulative, buckets = 0.0, []
            for name, count in zip(self.le, counts, strict=False):
                cumulative += count
                buckets.append((name, cumulative))
            family.add_metric(labels, buckets, counts[-1])
            created = dict(zip(self.labelnames, labels, strict=True))
            family.samples.append(Sample(f"{self.name}_created", created, self.created[labels]))
        return family


class PlainCollector:
    """Renders tallies and timings for the registry."""

    def __init__(self, metrics: Sequence[Tally | Timings]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        for metric in self._metrics:
            yield metric.family()


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        r = self.registry
        self.requests = Tally(
            "gateway_http_requests", "HTTP requests by endpoint and status", ["endpoint", "status"]
        )
        self.events_accepted = Tally(
            "gateway_events_accepted", "Events accepted at the edge", ["source"]
        )
        self.events_rejected = Tally(
            "gateway_events_rejected", "Requests refused at the edge, by reason", ["reason"]
        )
        self.ingest_latency = Timings(
            "gateway_ingest_seconds",
            "Time to accept a request (parse, policy, durable enqueue)",
            ["endpoint"],
            INGEST_BUCKETS,
        )
        self.fields_removed = Tally(
            "gateway_policy_fields_removed",
            "Fields removed by the policy, by category and rule",
            ["category", "rule"],
        )
        self.not_forwarded = Tally(
            "gateway_events_not_forwarded",
            "Events not forwarded to a destination, by reason",
            ["destination", "reason"],
        )
        self.events_dropped = Tally(
            "gateway_events_dropped", "Events dropped whole at the edge, by reason", ["reason"]
        )
        self.plan_findings = Tally(
            "gateway_plan_findings",
            "Tracking-plan findings by source, planned event, reason code and action",
            ["source", "event", "reason", "action"],
        )
        self.duplicates = Tally(
            "gateway_events_duplicate",
            "Events skipped as duplicates (source, messageId)",
            ["source"],
        )
        r.register(
            PlainCollector(
                [self.requests, self.events_accepted, self.events_rejected, self.ingest_latency,
                 self.fields_removed, self.not_forwarded, self.events_dropped,
                 self.plan_findings, self.duplicates]
            )
        )  # fmt: skip
        self.deliveries = Counter(
            "gateway_deliveries",
            "Delivery attempts by destination and outcome",
            ["destination", "outcome"],
            registry=r,
        )
        self.delivered_events = Counter(
            "gateway_delivered_events", "Payloads delivered", ["destination"], registry=r
        )
        self.dead_letters = Counter(
            "gateway_dead_letters", "Payloads dead-lettered", ["destination", "reason"], registry=r
        )
        self.retry_delay = Histogram(
            "gateway_retry_delay_seconds",
            "Delay before the next attempt",
            ["destination"],
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600),
            registry=r,
        )
        self.queue_depth = Gauge(
            "gateway_queue_depth", "Payloads waiting for delivery", ["destination"], registry=r
        )
        self.queue_oldest = Gauge(
            "gateway_queue_oldest_seconds",
            "Age of the oldest waiting payload",
            ["destination"],
            registry=r,
        )
        self.dead_letter_depth = Gauge(
            "gateway_dead_letter_depth",
            "Payloads in the dead-letter store",
            ["destination"],
            registry=r,
        )
        self.replica_ack_latency = Histogram(
            "gateway_redis_replica_ack_seconds",
            "Time Redis replicas took to confirm a write (WAIT, storage.min_replicas > 0)",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
            registry=r,
        )
        self.replicas_behind = Counter(
            "gateway_redis_too_few_replicas",
            "Writes refused (503) because fewer than storage.min_replicas replicas confirmed",
            ["write"],
            registry=r,
        )
        self.failovers = Counter(
            "gateway_redis_failovers",
            "Redis master changes seen through Sentinel",
            registry=r,
        )
        self.breaker_open = Gauge(
            "gateway_breaker_open",
            "1 while a destination's circuit breaker is open",
            ["destination"],
            registry=r,
        )

        self.last_failure: dict[str, tuple[str, float]] = {}
        """Per destination, this process's last failed delivery: a reason code and when
        (the console's status; not a Prometheus metric)."""

    def delivery_failed(self, destination: str, code: str) -> None:
        self.last_failure[destination] = (code, time.time())

    def replica_ack(self, seconds: float) -> None:
        self.replica_ack_latency.observe(seconds)

    def too_few_replicas(self, write: str) -> None:
        self.child(self.replicas_behind, write).inc()

    def failover(self) -> None:
        self.failovers.inc()

    def child(self, metric: Any, *values: str) -> Any:
        """`metric.labels(*values)`, memoised: label values come from the config and fixed
        reason codes, so the set is small, and the hot path skips the library's lookup."""
        key = (id(metric), values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return found
