"""Prometheus metrics, on a registry built per app (no module-level state). Label values
are endpoint templates, status codes, reason codes, destination names and category names
from the config: never anything taken from a payload."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        r = self.registry
        self.requests = Counter(
            "gateway_http_requests",
            "HTTP requests by endpoint and status",
            ["endpoint", "status"],
            registry=r,
        )
        self.events_accepted = Counter(
            "gateway_events_accepted", "Events accepted at the edge", ["source"], registry=r
        )
        self.events_rejected = Counter(
            "gateway_events_rejected",
            "Requests refused at the edge, by reason",
            ["reason"],
            registry=r,
        )
        self.ingest_latency = Histogram(
            "gateway_ingest_seconds",
            "Time to accept a request (parse, policy, durable enqueue)",
            ["endpoint"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=r,
        )
        self.fields_removed = Counter(
            "gateway_policy_fields_removed",
            "Fields removed by the policy, by category and rule",
            ["category", "rule"],
            registry=r,
        )
        self.not_forwarded = Counter(
            "gateway_events_not_forwarded",
            "Events not forwarded to a destination, by reason",
            ["destination", "reason"],
            registry=r,
        )
        self.events_dropped = Counter(
            "gateway_events_dropped",
            "Events dropped whole at the edge, by reason",
            ["reason"],
            registry=r,
        )
        self.plan_findings = Counter(
            "gateway_plan_findings",
            "Tracking-plan findings by source, planned event, reason code and action",
            ["source", "event", "reason", "action"],
            registry=r,
        )
        self.duplicates = Counter(
            "gateway_events_duplicate",
            "Events skipped as duplicates (source, messageId)",
            ["source"],
            registry=r,
        )
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
