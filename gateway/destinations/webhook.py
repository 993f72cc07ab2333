"""Webhook destination: JSON over HTTPS, signed per Standard Webhooks when `secret_env` is set.

Headers: `webhook-id` (the idempotency key, stable across retries and replays),
`webhook-timestamp` (unix seconds), `webhook-signature: v1,<base64 HMAC-SHA256 of
"id.timestamp.body">`. A batch (`batch_size` > 1) is one request whose body is
`{"batch": [{"id": key, "event": payload}, ...]}` and whose id is derived from its items.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Sequence
from typing import Any, Literal

import httpx
import orjson
from pydantic import Field, field_validator

from gateway.config.schema import DestinationConfig
from gateway.destinations.base import Outgoing, post

# RFC 9110 §5.1 token; field values as visible ASCII, spaces and tabs (no CR/LF).
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
HEADER_VALUE = re.compile(r"[\x20-\x7e\t]*")


class WebhookConfig(DestinationConfig):
    type: Literal["webhook"]
    """POSTs the projected event as JSON, signed per Standard Webhooks when secret_env is set."""
    url: str
    """http(s) URL the payloads are POSTed to."""
    batch_size: int = Field(1, ge=1, le=1000)
    """Events per request (1: the event itself; more: `{"batch": [{"id", "event"}, ...]}`)."""
    flush_interval: float = Field(0.0, ge=0, le=60)
    """Seconds a worker waits after sending a part-full batch, so the next one fills."""
    headers: dict[str, str] = {}
    """Extra request headers (no secrets: use secret_env)."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_http_url(value)

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not HEADER_NAME.fullmatch(name):
                raise ValueError(f'header name "{name}" is not a valid HTTP header name')
            if not HEADER_VALUE.fullmatch(text):
                raise ValueError(f'header "{name}" must be printable ASCII on one line')
        return value

    def endpoint(self) -> str | None:
        return self.url


def check_http_url(value: str) -> str:
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        scheme = url.scheme or "none"
        raise ValueError(f'must be an http(s) URL with a host (got scheme "{scheme}")')
    if url.port is not None and not 0 < url.port < 65536:
        raise ValueError(f"has port {url.port}, outside 1-65535")
    return value


def sign(secret: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,` + base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}")) (Standard Webhooks)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def secret_bytes(value: str) -> bytes:
    """Standard Webhooks secrets are `whsec_<base64>`; any other string is used as-is."""
    if value.startswith("whsec_"):
        return base64.b64decode(value.removeprefix("whsec_"))
    return value.encode()


class WebhookDestination:
    def __init__(
        self, config: WebhookConfig, client: httpx.AsyncClient, secret: str | None
    ) -> None:
        self.config = config
        self.max_batch = config.batch_size
        self._client = client
        self._secret = secret_bytes(secret) if secret else None

    def format(self, event: dict[str, Any]) -> dict[str, Any]:
        return event

    async def send(self, items: Sequence[Outgoing]) -> None:
        if len(items) == 1 and self.config.batch_size == 1:
            msg_id, body = items[0].idempotency_key, orjson.dumps(items[0].payload)
        else:
            keys = [item.idempotency_key for item in items]
            msg_id = "batch_" + hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]
            batch = [{"id": i.idempotency_key, "event": i.payload} for i in items]
            body = orjson.dumps({"batch": batch})
        await post(self._client, self.config.url, body, self._headers(msg_id, body))

    def _headers(self, msg_id: str, body: bytes) -> dict[str, str]:
        timestamp = int(time.time())
        headers = {
            **self.config.headers,
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "idempotency-key": msg_id,
        }
        if self._secret is not None:
            headers["webhook-signature"] = sign(self._secret, msg_id, timestamp, body)
        return headers

    async def aclose(self) -> None:
        return None
