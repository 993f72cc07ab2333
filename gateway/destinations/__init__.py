"""Destination adapters, as an explicit dict from `type` to config model and builder."""

from __future__ import annotations

from gateway.config.schema import DestinationConfig
from gateway.destinations.file import FileConfig
from gateway.destinations.ga4 import Ga4Config
from gateway.destinations.meta_capi import MetaCapiConfig
from gateway.destinations.segment import SegmentConfig
from gateway.destinations.webhook import WebhookConfig

CONFIG_MODELS: dict[str, type[DestinationConfig]] = {
    "webhook": WebhookConfig,
    "ga4": Ga4Config,
    "meta_capi": MetaCapiConfig,
    "segment": SegmentConfig,
    "file": FileConfig,
}
