"""Factories for config directories written to a temp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WEB_KEY = "test-web-key-0001"
SERVER_KEY = "test-server-key-0001"
APP_KEY = "test-app-key-0001"
WEB_ORIGIN = "https://shop.example.com"


def default_sources() -> list[dict[str, Any]]:
    return [
        {"id": "web", "write_key": WEB_KEY, "kind": "web", "allowed_origins": [WEB_ORIGIN]},
        {"id": "server", "write_key": SERVER_KEY, "kind": "server"},
        {"id": "app", "write_key": APP_KEY, "kind": "ios"},
    ]


def webhook(name: str, url: str, **extra: Any) -> dict[str, Any]:
    destination = {
        "name": name,
        "type": "webhook",
        "url": url,
        "country": "JP",
        "purposes": ["analytics"],
        "fields": ["type", "event", "messageId", "properties.**", "context.page.path"],
        "allow_private_network": True,
        "role": "processor",
    }
    destination.update(extra)
    return destination


def write_config(
    directory: Path,
    *,
    destinations: list[dict[str, Any]] | None = None,
    sources: list[dict[str, Any]] | None = None,
    gateway: dict[str, Any] | None = None,
    policy: dict[str, Any] | None = None,
) -> Path:
    """A complete config directory; storage defaults to a SQLite file inside it."""
    directory.mkdir(parents=True, exist_ok=True)
    settings: dict[str, Any] = {
        "storage": {"backend": "sqlite", "path": str(directory / "gateway.db")},
        "delivery": {"poll_interval_seconds": 0.05, "timeout_seconds": 2.0},
    }
    for key, value in (gateway or {}).items():
        if key == "storage":
            settings[key] = value  # a different backend replaces the SQLite default whole
        elif isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    _dump(directory / "gateway.yaml", settings)
    _dump(
        directory / "sources.yaml",
        {"sources": sources if sources is not None else default_sources()},
    )
    _dump(directory / "destinations.yaml", {"destinations": destinations or []})
    if policy is not None:
        _dump(directory / "policy.yaml", {"policy": policy})
    return directory


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
