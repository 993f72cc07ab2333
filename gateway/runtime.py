"""Everything a running gateway holds, built from a config and the long-lived resources
(store, GeoIP reader, HTTP clients). A config reload builds a new Runtime around the same
resources and swaps it in whole."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from gateway.config.loader import Config
from gateway.destinations.base import Destination
from gateway.destinations.registry import HttpClients, build_destinations
from gateway.enrich.enricher import Enricher
from gateway.enrich.geo import GeoLookup, MaxMindGeo
from gateway.enrich.useragent import UserAgentParser
from gateway.ingest.access import ClientAddress, Sources
from gateway.observability.metrics import Metrics
from gateway.pipeline import Pipeline
from gateway.policy.identifiers import SubjectKeys
from gateway.privacy.subject import SubjectTokens
from gateway.store.types import Store

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


@dataclass
class Runtime:
    config: Config
    resources: Resources
    pipeline: Pipeline
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
    return Runtime(
        config=config,
        resources=resources,
        pipeline=Pipeline(config, enricher, keys, formatters),
        sources=Sources(config.sources),
        client_address=ClientAddress(config.gateway.trusted_proxies),
        destinations=destinations,
        tokens=SubjectTokens(resources.key),
        subject_keys=keys,
    )
