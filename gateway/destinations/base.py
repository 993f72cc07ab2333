"""What every destination adapter provides, and the HTTP status rules they share."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from gateway.config.schema import DestinationConfig
from gateway.errors import FatalDelivery, RetryableDelivery

RETRYABLE_STATUS = frozenset({408, 429})
NOT_RETRYABLE_5XX = frozenset({501, 505})


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One payload ready for the wire: the adapter's format of one projected event."""

    idempotency_key: str
    payload: dict[str, Any]


class Destination(Protocol):
    """An adapter: `format` is pure (used by the router), `send` does the I/O."""

    @property
    def config(self) -> DestinationConfig: ...

    @property
    def max_batch(self) -> int: ...

    def format(self, event: dict[str, Any]) -> dict[str, Any]:
        """Turn a projected, transformed event into this destination's wire item."""
        ...

    async def send(self, items: Sequence[Outgoing]) -> None:
        """Deliver; raise RetryableDelivery or FatalDelivery on failure."""
        ...

    async def aclose(self) -> None: ...


def check_response(response: httpx.Response) -> None:
    """Map an HTTP answer onto the retry rules: 2xx ok; 408, 429 and 5xx (not 501/505)
    retry; everything else (other 4xx, redirects, 501, 505) is fatal."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if status in RETRYABLE_STATUS or (status >= 500 and status not in NOT_RETRYABLE_5XX):
        raise RetryableDelivery(
            f"destination answered {status}",
            status=status,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    raise FatalDelivery(f"destination answered {status}", status=status)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    transient: Callable[[httpx.Response], bool] | None = None,
) -> None:
    """POST and apply the status rules; network failures are retryable. The client's timeout
    also bounds the whole attempt (httpx applies it per read), so an answer trickled byte by
    byte cannot outlast the outbox lease and get the payload sent twice at once."""
    try:
        async with asyncio.timeout(client.timeout.read):
            response = await client.post(url, content=body, headers=headers)
    except FatalDelivery:
        raise
    except TimeoutError as exc:
        raise RetryableDelivery("timed out (the whole attempt)", code="timeout") from exc
    except httpx.TimeoutException as exc:
        raise RetryableDelivery(f"timed out ({type(exc).__name__})", code="timeout") from exc
    except httpx.HTTPError as exc:
        raise RetryableDelivery(
            f"network error ({type(exc).__name__})", code="network_error"
        ) from exc
    if transient is not None and 400 <= response.status_code < 500 and transient(response):
        # Some vendors report throttling or a passing fault as a 4xx with a flag in the body.
        raise RetryableDelivery(f"destination answered {response.status_code} (transient)",
                                status=response.status_code)  # fmt: skip
    check_response(response)
