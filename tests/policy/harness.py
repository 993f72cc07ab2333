"""The real enrich → policy → route pipeline, in process, for policy tests.

One `Harness` starts one gateway (store, GeoIP reader, user-agent parser: the slow
resources) and builds a runtime per config variation around them, the way a config reload
does. Events run through `runtime.pipeline.prepare/process` exactly as the HTTP edge and
`gateway explain` run them; stored preferences are passed keyed by the event's subject keys.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from starlette.exceptions import StarletteDeprecationWarning

from gateway.config.schema import SourceConfig
from gateway.destinations.registry import read_config
from gateway.intake.pipeline import Outcome
from gateway.intake.spec import events_from
from gateway.policy.consent.resolver import RequestSignals
from gateway.runtime import Gateway, Runtime, build_runtime
from tests.enrich.conftest import write_city_mmdb
from tests.policy.consent.test_tcf import core, encode, vendor_section
from tests.support.configs import write_config

with warnings.catch_warnings():
    # Starlette 1.x prefers the `httpx2` package and warns when the TestClient uses httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient as TestClient  # re-exported for the tests

# Documentation address ranges (RFC 5737, RFC 3849) mapped to countries.
GEO_NETWORKS = {
    "203.0.113.0/24": {"country": "JP", "subdivision": "13", "city": "Tokyo"},
    "198.51.100.0/24": {"country": "GB", "subdivision": "ENG", "city": "London"},
    "192.0.2.0/25": {"country": "US"},
    "192.0.2.128/26": {"country": "CH"},
    "2001:db8::/32": {"country": "DE"},
}  # 192.0.2.192/26 has no record: an unknown country

WRITE_KEYS = {
    "web": "policy-web-key-0001",
    "ios": "policy-ios-key-0001",
    "android": "policy-android-key-0001",
    "server": "policy-server-key-0001",
}
ORIGIN = "https://shop.example.com"
ADS_VENDOR = 755  # the TCF vendor id the `ads` destination declares


ADS_FIELDS = ["type", "event", "name", "anonymousId", "context.device.advertisingId",
              "context.page.url", "properties.revenue", "properties.currency"]  # fmt: skip
SUPPORT_FIELDS = ["type", "event", "name", "userId", "traits.email", "traits.plan",
                  "properties.plan", "properties.message_count", "context.page.path"]  # fmt: skip


def destinations() -> list[dict[str, Any]]:
    """Four destinations: a broad analytics feed, two advertising vendors (one with a TCF
    vendor id) and a service tool with a realistic field list."""
    return [
        _hook("analytics", "JP", ["analytics"], ["**"]),
        _hook("ads", "US", ["advertising"], ADS_FIELDS, tcf_vendor_id=ADS_VENDOR),
        _hook("social", "US", ["advertising"], ["type", "event", "name"]),
        _hook("support", "JP", ["service"], SUPPORT_FIELDS),
    ]


def _hook(name: str, country: str, purposes: list[str], fields: list[str], **extra: Any) -> Any:
    url = f"https://{name}.example.net/events"
    return {"name": name, "type": "webhook", "url": url, "country": country,
            "purposes": purposes, "fields": fields, "role": "processor", **extra}  # fmt: skip


DESTINATIONS = tuple(d["name"] for d in destinations())


def sources(allow: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    out = []
    for kind, key in WRITE_KEYS.items():
        source: dict[str, Any] = {"id": kind, "write_key": key, "kind": kind}
        if kind == "web":
            source["allowed_origins"] = [ORIGIN]
        if allow.get(kind):
            source["allow_categories"] = list(allow[kind])
        out.append(source)
    return out


@dataclass
class Run:
    """What the pipeline did to one event."""

    outcome: Outcome
    runtime: Runtime
    source: SourceConfig

    @property
    def payloads(self) -> dict[str, dict[str, Any] | None]:
        sent = {v.destination: v.payload for v in self.outcome.verdicts if v.send}
        return {name: sent.get(name) for name in DESTINATIONS}

    @property
    def reasons(self) -> dict[str, str]:
        return {v.destination: v.reason for v in self.outcome.verdicts}

    @property
    def removed(self) -> list[tuple[str, str, str]]:
        return [(r.path, r.category, r.rule) for r in self.outcome.decision.removed]

    @property
    def purposes(self) -> dict[str, tuple[bool, str]]:
        decisions = self.outcome.decision.consent.purposes
        return {name: (d.granted, d.signal) for name, d in decisions.items()}


class Harness:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.mmdb = write_city_mmdb(root, GEO_NETWORKS)
        self.loop = asyncio.new_event_loop()
        self._gateway = Gateway(read_config(self.config_dir()), run_worker=False)
        self.base = self.loop.run_until_complete(self._gateway.start())
        self._runtimes: dict[str, Runtime] = {"{}": self.base}

    def config_dir(
        self,
        policy: dict[str, Any] | None = None,
        allow: Mapping[str, list[str]] | None = None,
        gateway: dict[str, Any] | None = None,
        name: str = "base",
    ) -> Path:
        settings = {"geo": {"database": str(self.mmdb)}, **(gateway or {})}
        return write_config(
            self.root / name,
            destinations=destinations(),
            sources=sources(allow or {}),
            gateway=settings,
            policy=policy,
        )

    def close(self) -> None:
        self.loop.run_until_complete(self._gateway.stop())
        self.loop.close()

    def runtime(
        self, policy: dict[str, Any] | None = None, allow: Mapping[str, list[str]] | None = None
    ) -> Runtime:
        """The runtime for a policy override and per-source allowed categories, built
        once around the shared resources (as a config reload builds it)."""
        variant = json.dumps({k: v for k, v in (("policy", policy), ("allow", allow)) if v})
        runtime = self._runtimes.get(variant)
        if runtime is None:
            name = f"variant{len(self._runtimes)}"
            config = read_config(self.config_dir(policy, allow, name=name))
            runtime = build_runtime(config, self.base.resources)
            self._runtimes[variant] = runtime
        return runtime

    def run(
        self,
        event: dict[str, Any],
        *,
        source: str = "web",
        headers: Mapping[str, str] | None = None,
        stored: Mapping[str, Any] | None = None,
        stored_by: Mapping[str, Mapping[str, Any]] | None = None,
        policy: dict[str, Any] | None = None,
        allow: list[str] | None = None,
    ) -> Run:
        """Validate `event` as the edge would, then prepare and process it. `stored` is a
        preference state kept under the event's primary subject key; `stored_by` maps
        userId / anonymousId / advertisingId to a state kept under that identifier's key."""
        runtime = self.runtime(policy, {source: allow} if allow else None)
        limits = runtime.config.gateway.limits
        (event,) = events_from(copy.deepcopy(event), event.get("type"), limits)
        config_source = runtime.sources.authenticate(None, WRITE_KEYS[source])
        keys = runtime.pipeline.prepare(event)
        preferences = dict(stored_preferences(runtime, event, keys, stored, stored_by))
        outcome = runtime.pipeline.process(
            event, keys, config_source, request_signals(headers or {}), preferences
        )
        return Run(outcome, runtime, config_source)


def request_signals(headers: Mapping[str, str]) -> RequestSignals:
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    return RequestSignals(gpc=lowered.get("sec-gpc") == "1", dnt=lowered.get("dnt") == "1")


def stored_preferences(
    runtime: Runtime,
    event: dict[str, Any],
    keys: tuple[str, ...],
    stored: Mapping[str, Any] | None,
    stored_by: Mapping[str, Mapping[str, Any]] | None,
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if stored is not None and keys:
        yield keys[0], stored
    kinds = {"userId": "user", "anonymousId": "anon", "advertisingId": "adid"}
    for field, state in (stored_by or {}).items():
        value = event.get(field) if field != "advertisingId" else _ad_id(event)
        if isinstance(value, str):
            value = value.lower() if field == "advertisingId" else value
            yield runtime.subject_keys.key(kinds[field], value), state


def _ad_id(event: dict[str, Any]) -> Any:
    return event.get("context", {}).get("device", {}).get("advertisingId")


# --- YAML tags for values that are unreadable inline -------------------------------------

MAGIC = {
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10",
    "gif": b"GIF89a\x10\x00\x10\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00",
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00",
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    "mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2",
    "mov": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  \x00\x00",
}


def media_bytes(kind: str) -> bytes:
    """The first bytes of a small file of `kind`, padded to 60 bytes."""
    head = MAGIC[kind]
    return head + bytes(range(60 - len(head)))


def tc_string(spec: Mapping[str, Any]) -> str:
    """A TC string from `{purposes: [..], vendors: [..], li: [..], ranges: bool}`."""
    vendors = frozenset(spec.get("vendors", ()))
    return encode(
        core(
            purposes=frozenset(spec.get("purposes", ())),
            purposes_li=frozenset(spec.get("li", ())),
            special_features=frozenset(spec.get("special_features", ())),
            vendors=vendor_section(vendors, ranges=bool(spec.get("ranges"))),
            country=spec.get("country", "DE"),
        )
    )


class CaseLoader(yaml.CSafeLoader):
    """`!tcf {purposes: [1, 2], vendors: [755]}` → a TC string; `!base64 jpeg` → base64 of
    a JPEG's first bytes; `!bytes png` → the same bytes as a JSON array of ints."""


def _tcf(loader: yaml.CSafeLoader, node: yaml.Node) -> str:
    return tc_string(loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]


def _base64(loader: yaml.CSafeLoader, node: yaml.Node) -> str:
    return base64.b64encode(media_bytes(str(loader.construct_scalar(node)))).decode()  # type: ignore[arg-type]


def _bytes(loader: yaml.CSafeLoader, node: yaml.Node) -> list[int]:
    return list(media_bytes(str(loader.construct_scalar(node))))  # type: ignore[arg-type]


CaseLoader.add_constructor("!tcf", _tcf)
CaseLoader.add_constructor("!base64", _base64)
CaseLoader.add_constructor("!bytes", _bytes)


def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=CaseLoader)  # noqa: S506


# --- `python -m tests.policy.harness`: policy-stage speed and the corpora's figures -------


def _sized_order(size: int) -> dict[str, Any]:
    """An Order Completed event from the detector corpus, grown by products to ~`size` bytes."""
    from tests.policy.corpus_ordinary import ORDER, product, web

    event = web("track", event="Order Completed", properties=copy.deepcopy(ORDER))
    event["context"]["ip"] = "203.0.113.77"
    products = event["properties"]["products"]
    del products[1:]
    while len(json.dumps(event)) < size:
        products.append(product(len(products) + 1))
    if len(products) > 1:
        products.pop()
    return event


def _unique(base: dict[str, Any], k: int) -> dict[str, Any]:
    """A copy whose IDs and texts no other copy shares (no clean-string cache hits), like
    real traffic."""
    event = copy.deepcopy(base)
    event["messageId"], event["anonymousId"] = f"m-{k}", f"anon-{k}"
    for j, item in enumerate(event["properties"]["products"]):
        item.update(product_id=f"{k:08x}{j:04x}", name=f"Product {k}-{j}",
                    url=f"https://www.example.com/p/{k}/{j}",
                    image_url=f"https://www.example.com/p/{k}/{j}.jpg")  # fmt: skip
    return event


def _median_us(run: Any, events: list[dict[str, Any]]) -> float:
    import statistics
    import time

    samples = []
    for event in events:
        started = time.perf_counter_ns()
        run(event)
        samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples) / 1000


def main() -> None:
    import tempfile

    from tests.policy.test_engine_properties import engine_figures

    harness = Harness(Path(tempfile.mkdtemp()))
    runtime, signals = harness.base, RequestSignals()
    source = runtime.sources.authenticate(None, WRITE_KEYS["web"])
    pipeline = runtime.pipeline

    def evaluate(event: dict[str, Any]) -> None:
        pipeline.engine.evaluate(event, source, signals, {})

    def prepare_process(event: dict[str, Any]) -> None:
        pipeline.process(event, pipeline.prepare(event), source, signals, {})

    for kib in (1, 8, 32):
        base, count = _sized_order(kib * 1024), 3000 if kib < 32 else 1000
        enriched = [_unique(base, k) for k in range(count)]
        for event in enriched:
            pipeline.enricher.enrich(event)  # evaluate() sees what prepare() hands it
        fresh = [_unique(base, k + count) for k in range(count)]
        alone, whole = _median_us(evaluate, enriched), _median_us(prepare_process, fresh)
        print(
            f"{len(json.dumps(base)):6d} B: engine.evaluate {alone:7.1f} µs, "
            f"prepare+process {whole:7.1f} µs (median of {count})"
        )
    unchanged, false_removals, expected, found, removed = engine_figures(harness)
    print(f"through the engine: ordinary unchanged {unchanged}, false removals {false_removals}; "
          f"recall {found}/{expected}; precision {found}/{removed}")  # fmt: skip
    harness.close()


if __name__ == "__main__":
    main()
