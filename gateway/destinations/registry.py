"""Builds the adapters of a config: an explicit dict from `type` to builder."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway.config.loader import Config
from gateway.config.schema import DestinationConfig
from gateway.destinations.base import Destination
from gateway.destinations.file import FileConfig, FileDestination
from gateway.destinations.ga4 import Ga4Config, Ga4Destination
from gateway.destinations.meta_capi import MetaCapiConfig, MetaCapiDestination
from gateway.destinations.network import build_client
from gateway.destinations.segment import SegmentConfig, SegmentDestination
from gateway.destinations.webhook import WebhookConfig, WebhookDestination
from gateway.errors import ConfigError
from gateway.route.transforms import CALLING_CODES


@dataclass
class HttpClients:
    """Two pools: `public` refuses private addresses at connect time; `private` is for
    destinations that set allow_private_network."""

    public: httpx.AsyncClient
    private: httpx.AsyncClient

    @classmethod
    def create(cls, timeout: float, max_connections: int = 100) -> HttpClients:
        return cls(
            public=build_client(guarded=True, timeout=timeout, max_connections=max_connections),
            private=build_client(guarded=False, timeout=timeout, max_connections=max_connections),
        )

    def for_config(self, config: DestinationConfig) -> httpx.AsyncClient:
        return self.private if config.allow_private_network else self.public

    async def aclose(self) -> None:
        await self.public.aclose()
        await self.private.aclose()


def _secret(config: DestinationConfig) -> str | None:
    return os.environ.get(config.secret_env) if config.secret_env else None


def _required_secret(config: DestinationConfig) -> str:
    secret = _secret(config)
    if not secret:
        where = f'destination "{config.name}"'
        raise ConfigError([f'{where}: secret_env "{config.secret_env}" is not set'])
    return secret


def _webhook(config: DestinationConfig, clients: HttpClients, root: Config) -> Destination:
    if not isinstance(config, WebhookConfig):
        raise TypeError(config.type)
    return WebhookDestination(config, clients.for_config(config), _secret(config))


def _ga4(config: DestinationConfig, clients: HttpClients, root: Config) -> Destination:
    if not isinstance(config, Ga4Config):
        raise TypeError(config.type)
    return Ga4Destination(config, clients.for_config(config), _required_secret(config))


def _meta_capi(config: DestinationConfig, clients: HttpClients, root: Config) -> Destination:
    if not isinstance(config, MetaCapiConfig):
        raise TypeError(config.type)
    calling_code = CALLING_CODES.get(root.policy.transfers.home_country, "")
    client = clients.for_config(config)
    return MetaCapiDestination(config, client, _required_secret(config), calling_code)


def _segment(config: DestinationConfig, clients: HttpClients, root: Config) -> Destination:
    if not isinstance(config, SegmentConfig):
        raise TypeError(config.type)
    return SegmentDestination(config, clients.for_config(config), _required_secret(config))


def _file(config: DestinationConfig, clients: HttpClients, root: Config) -> Destination:
    if not isinstance(config, FileConfig):
        raise TypeError(config.type)
    return FileDestination(config, Path.cwd())


BUILDERS: dict[str, Callable[[DestinationConfig, HttpClients, Config], Destination]] = {
    "webhook": _webhook,
    "ga4": _ga4,
    "meta_capi": _meta_capi,
    "segment": _segment,
    "file": _file,
}


def build_destinations(config: Config, clients: HttpClients) -> dict[str, Destination]:
    return {d.name: BUILDERS[d.type](d, clients, config) for d in config.destinations if d.enabled}
