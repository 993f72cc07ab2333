"""Segment-compatible forward: POST {url}/v1/batch with HTTP Basic auth (the write key as the
username, no password) and {"batch": [events], "sentAt": now}.

Each payload is the projected Segment event itself. Its `messageId` is kept when the rule
names it, else the payload's idempotency key stands in, so Segment's messageId deduplication
also absorbs our retries and replays. Segment refuses batches over 500 KB, so a send is split
into requests of at most 450 KB; when a later request fails, the whole send is retried and
the earlier requests' events arrive again with the same messageId.

The write key comes from the environment only (`secret_env`, required) and travels in the
Authorization header, never in a URL or an error message.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import orjson

from gateway.destinations.base import Outgoing, post
from gateway.destinations.vendor import VendorConfig

SEGMENT_URL = "https://api.segment.io"
MAX_REQUEST_BYTES = 450 * 1024


class SegmentConfig(VendorConfig):
    KIND = "segment"
    CREDENTIAL = "the source write key"
    NEEDS = (("type",), ("userId", "anonymousId"))

    type: Literal["segment"]
    """A Segment-compatible collector (POST /v1/batch with the write key from secret_env)."""
    url: str = SEGMENT_URL
    """API base: https://api.segment.io, https://events.eu1.segmentapis.com for the EU
    workspace region, or any Segment-compatible collector."""


class SegmentDestination:
    def __init__(self, config: SegmentConfig, client: httpx.AsyncClient, write_key: str) -> None:
        self.config = config
        self.max_batch = 100
        self._client = client
        self._url = f"{config.url.rstrip('/')}/v1/batch"
        token = base64.b64encode(f"{write_key}:".encode()).decode()
        self._headers = {"content-type": "application/json", "authorization": f"Basic {token}"}

    def format(self, event: dict[str, Any]) -> dict[str, Any]:
        return event

    async def send(self, items: Sequence[Outgoing]) -> None:
        for chunk in chunks([encode(item) for item in items], MAX_REQUEST_BYTES):
            sent_at = orjson.dumps(iso_now())
            body = b'{"batch":[' + b",".join(chunk) + b'],"sentAt":' + sent_at + b"}"
            await post(self._client, self._url, body, self._headers)

    async def aclose(self) -> None:
        return None


def encode(item: Outgoing) -> bytes:
    payload = item.payload
    if not payload.get("messageId"):
        payload = {**payload, "messageId": item.idempotency_key}
    return orjson.dumps(payload)


def chunks(encoded: list[bytes], limit: int) -> list[list[bytes]]:
    """Consecutive runs of encoded events whose batch body stays under `limit` bytes (an
    event larger than that goes alone: the collector decides)."""
    out: list[list[bytes]] = []
    size = limit
    for event in encoded:
        if size + len(event) + 1 > limit:
            out.append([])
            size = 64  # the envelope: {"batch":[…],"sentAt":"…"}
        out[-1].append(event)
        size += len(event) + 1
    return out


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
