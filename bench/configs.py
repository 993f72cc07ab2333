"""Config directories for the benchmark, written to a temp dir: a web and a server source,
and destinations with the allow-list rules a real shop would use."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

WEB_KEY = "bench-web-write-key"
SERVER_KEY = "bench-server-write-key"
KEY_ENV = "GATEWAY_BENCH_KEY"
KEY_VALUE = "bench-only-gateway-key-not-a-secret"

ANALYTICS_FIELDS = [
    "type", "event", "name", "messageId", "anonymousId", "userId", "timestamp",
    "properties.products.product_id", "properties.products.price",
    "properties.products.quantity", "properties.revenue", "properties.currency",
    "properties.order_id", "context.page.path", "context.page.url", "context.page.referrer",
    "context.os.*", "context.browser.*", "context.device.type", "context.geo.country",
    "context.locale", "context.campaign.*",
]  # fmt: skip


def basic_auth(write_key: str) -> str:
    return "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()


def sources() -> list[dict[str, Any]]:
    return [
        {"id": "shop-web", "write_key": WEB_KEY, "kind": "web",
         "allowed_origins": ["https://shop.example.com"]},
        {"id": "shop-server", "write_key": SERVER_KEY, "kind": "server"},
    ]  # fmt: skip


def ingest_destinations(directory: Path, unused_port: int) -> list[dict[str, Any]]:
    """Two vendors (the edge runs without delivery, so their URL need not answer) and a
    local warehouse file."""
    base = f"http://127.0.0.1:{unused_port}"
    return [
        {"name": "product-analytics", "type": "webhook", "url": f"{base}/analytics",
         "country": "JP", "purposes": ["analytics"],
         "events": {"types": ["track", "page", "screen"], "names": ["*"]},
         "fields": ANALYTICS_FIELDS, "allow_private_network": True, "batch_size": 50},
        {"name": "ads-conversions", "type": "webhook", "url": f"{base}/ads",
         "country": "US", "purposes": ["advertising"],
         "events": {"types": ["track", "identify"], "names": ["Order Completed", "Signed Up"]},
         "fields": ["type", "event", "messageId", "timestamp", "userId", "traits.email",
                    "properties.revenue", "properties.currency", "properties.order_id",
                    "context.ip", "context.device.advertisingId", "context.userAgent"],
         "transforms": {"traits.email": "sha256", "context.ip": "truncate_ip"},
         "allow_private_network": True},
        {"name": "warehouse", "type": "file", "path": str(directory / "warehouse.jsonl"),
         "country": "JP", "purposes": ["analytics"],
         "fields": ["type", "event", "name", "messageId", "anonymousId", "userId",
                    "timestamp", "properties.**", "context.page.*", "context.browser.*",
                    "context.os.*", "context.device.type", "context.locale", "traits.plan"]},
    ]  # fmt: skip


def receiver_destination(url: str, batch_size: int) -> dict[str, Any]:
    return {
        "name": "receiver", "type": "webhook", "url": url, "country": "JP",
        "purposes": ["analytics"], "fields": ANALYTICS_FIELDS, "batch_size": batch_size,
        "allow_private_network": True, "secret_env": KEY_ENV,
    }  # fmt: skip


def sqlite_storage(directory: Path) -> dict[str, Any]:
    return {"backend": "sqlite", "path": str(directory / "gateway.db")}


def redis_storage(port: int, min_replicas: int = 0) -> dict[str, Any]:
    storage: dict[str, Any] = {"backend": "redis", "url": f"redis://127.0.0.1:{port}/0"}
    if min_replicas:
        storage["min_replicas"] = min_replicas
    return storage


def write(directory: Path, storage: dict[str, Any], destinations: list[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    gateway = {
        "storage": storage,
        "secrets": {"key_env": KEY_ENV},
        "delivery": {"poll_interval_seconds": 0.05},
    }
    _dump(directory / "gateway.yaml", gateway)
    _dump(directory / "sources.yaml", {"sources": sources()})
    _dump(directory / "destinations.yaml", {"destinations": destinations})
    return directory


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
