"""The composition root: everything a running gateway holds, built from a config and the
long-lived resources (store, GeoIP reader, HTTP clients). A config reload builds a new
Runtime around the same resources and swaps it in whole. Only the edges (`app.py` and
`gateway/cli/`) import this module; the parts it composes receive what they use."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from gateway.config.loader import Config
from gateway.destinations.base import Destination
from gateway.destinations.registry import (
    HttpClients,
    build_destinations,
    read_config,
    wire_fields,
)
from gateway.enrich.enricher import Enricher
from gateway.enrich.geo import GeoLookup, MaxMindGeo
from gateway.enrich.useragent import UserAgentParser
from gateway.errors import ConfigError
from gateway.ingest.access import Sources
from gateway.intake.intake import Intake
from gateway.intake.pipeline import Pipeline
from gateway.observability.debugger import DebugBuffer, Debugger
from gateway.observability.metrics import Metrics
from gateway.policy.identifiers import SubjectKeys
from gateway.privacy.service import PrivacyService
from gateway.privacy.subject import SubjectTokens
from gateway.store.factory import open_debugger, open_store
from gateway.store.types import Store
from gateway.web.client import ClientAddress

log = logging.getLogger("gateway")


@dataclass
class Resources:
    """Built once per process; outlive config reloads."""

    store: Store
    metrics: Metrics
    key: bytes
    user_agents: UserAgentParser
    geo: GeoLookup | None
    http: HttpClients
    debugger: Debugger = field(default_factory=DebugBuffer)
    """The live debugger's buffer (kept across reloads; filled only when it is on)."""


@dataclass
class Runtime:
    config: Config
    resources: Resources
    pipeline: Pipeline
    intake: Intake
    privacy: PrivacyService
    sources: Sources
    client_address: ClientAddress
    destinations: dict[str, Destination]
    tokens: SubjectTokens
    subject_keys: SubjectKeys

    @property
    def store(self) -> Store:
        return self.resources.store

    @property
    def metrics(self) -> Metrics:
        return self.resources.metrics

    @property
    def geo(self) -> GeoLookup | None:
        return self.resources.geo

    @property
    def debugger(self) -> Debugger:
        return self.resources.debugger


async def gateway_key(config: Config, store: Store) -> bytes:
    """The secret behind subject keys and tokens: from the configured environment variable,
    else generated once and kept by the store (single-node SQLite only)."""
    env = config.gateway.secrets.key_env
    if env:
        return hashlib.sha256(os.environ[env].encode()).digest()
    return await store.get_or_create_key()


def open_geo(config: Config) -> GeoLookup | None:
    database = config.gateway.geo.database
    if not database:
        log.info("geo: no database configured; geo enrichment and jurisdiction-by-country are off")
        return None
    return MaxMindGeo(Path(database))


def build_runtime(config: Config, resources: Resources) -> Runtime:
    ip = config.policy.ip
    enricher = Enricher(resources.user_agents, resources.geo, ip.ipv4_prefix, ip.ipv6_prefix)
    keys = SubjectKeys(hmac.new(resources.key, b"subject-key-v1", hashlib.sha256).digest())
    destinations = build_destinations(config, resources.http)
    formatters = {name: d.format for name, d in destinations.items()}
    pipeline = Pipeline(config, enricher, keys, formatters, wire_fields(config))
    store = resources.store
    gateway = config.gateway
    return Runtime(
        config=config,
        resources=resources,
        pipeline=pipeline,
        intake=Intake(pipeline, store.preferences, gateway.limits, gateway.dedupe.window_seconds),
        privacy=PrivacyService(config, store, pipeline.engine.resolver, keys),
        sources=Sources(config.sources),
        client_address=ClientAddress(config.gateway.trusted_proxies),
        destinations=destinations,
        tokens=SubjectTokens(resources.key),
        subject_keys=keys,
    )


class Gateway:
    """Holds the live runtime so a reload can swap it (SIGHUP or POST /admin/reload)."""

    def __init__(
        self, config: Config, *, store: Store | None = None, run_worker: bool | None = None
    ) -> None:
        self.config = config
        self._store = store
        self.run_worker = config.gateway.worker.in_process if run_worker is None else run_worker
        self.runtime: Runtime | None = None

    def current(self) -> Runtime:
        if self.runtime is None:
            raise RuntimeError("gateway not started")
        return self.runtime

    async def start(self) -> Runtime:
        metrics = Metrics()
        store = self._store or await open_store(self.config, metrics)
        delivery = self.config.gateway.delivery
        resources = Resources(
            store=store,
            metrics=metrics,
            key=await gateway_key(self.config, store),
            user_agents=UserAgentParser(),
            geo=open_geo(self.config),
            http=HttpClients.create(delivery.timeout_seconds, delivery.concurrency * 16),
            debugger=open_debugger(store),
        )
        self.runtime = build_runtime(self.config, resources)
        return self.runtime

    def reload(self) -> list[str]:
        """Load the config directory again; on any problem keep the running config."""
        runtime = self.current()
        try:
            config = read_config(runtime.config.directory)
            _same_resources(runtime.config, config)
            fresh = build_runtime(config, runtime.resources)
        except ConfigError as exc:
            log.error("config reload refused, keeping the running config:\n%s", exc)
            return exc.problems
        self.runtime = fresh
        if not config.gateway.console.debugger:
            fresh.debugger.clear()  # turned off: what it kept goes now, not when it expires
        log.info("config reloaded: %s", config.summary())
        return []

    async def stop(self) -> None:
        if self.runtime is None:
            return
        resources = self.runtime.resources
        await resources.debugger.aclose()
        await resources.http.aclose()
        await resources.store.aclose()
        close = getattr(resources.geo, "close", None)
        if close is not None:
            close()


RESTART_SECTIONS = ("storage", "geo", "secrets", "server")


def _same_resources(old: Config, new: Config) -> None:
    """Sections that shape the long-lived resources take a restart, not a reload: say so
    instead of silently keeping the old ones."""
    changed = [
        name
        for name in RESTART_SECTIONS
        if getattr(old.gateway, name) != getattr(new.gateway, name)
    ]
    if changed:
        raise ConfigError(
            [f"gateway.yaml: {name}: changed; it takes a restart, not a reload" for name in changed]
        )
