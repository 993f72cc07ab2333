"""Destination adapters, as an explicit dict from `type` to config model and builder."""

from __future__ import annotations

from gateway.config.schema import DestinationConfig
from gateway.destinations.file import FileConfig
from gateway.destinations.webhook import WebhookConfig

CONFIG_MODELS: dict[str, type[DestinationConfig]] = {
    "webhook": WebhookConfig,
    "file": FileConfig,
}
