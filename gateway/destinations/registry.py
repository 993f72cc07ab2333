"""The destination types: an explicit dict from `type` to its config model and builder.
Config loading is given the models (`read_config`); the runtime builds the adapters."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway.config.loader import Config, load_config
from gateway.config.schema import DestinationConfig
from gateway.destinations.base import Destination
from gateway.destinations.file import FileConfig, FileDestination
from gateway.destinations.ga4 import Ga4Config, Ga4Destination
from gateway.destinations.meta_capi import MetaCapiConfig, MetaCapiDestination
from gateway.destinations.network import build_client
from gateway.destinations.segment import SegmentConfig, SegmentDestination
from gateway.destinations.webhook import WebhookConfig, WebhookDestination
from gateway.errors import ConfigError
from gateway.plans.model import TrackingPlan
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


Builder = Callable[[DestinationConfig, HttpClients, Config], Destination]


@dataclass(frozen=True)
class DestinationType:
    model: type[DestinationConfig]
    build: Builder


DESTINATION_TYPES: dict[str, DestinationType] = {
    "webhook": DestinationType(WebhookConfig, _webhook),
    "ga4": DestinationType(Ga4Config, _ga4),
    "meta_capi": DestinationType(MetaCapiConfig, _meta_capi),
    "segment": DestinationType(SegmentConfig, _segment),
    "file": DestinationType(FileConfig, _file),
}
CONFIG_MODELS = {name: kind.model for name, kind in DESTINATION_TYPES.items()}


def read_config(directory: str | Path) -> Config:
    """The config directory, loaded with every destination type this gateway knows and the
    tracking plans' model."""
    return load_config(directory, CONFIG_MODELS, TrackingPlan)


def build_destinations(config: Config, clients: HttpClients) -> dict[str, Destination]:
    types = DESTINATION_TYPES
    return {
        d.name: types[d.type].build(d, clients, config) for d in config.destinations if d.enabled
    }
