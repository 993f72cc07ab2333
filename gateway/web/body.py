"""Reading a request body under the size limits, before it is buffered whole: the declared
Content-Length is checked first, then every chunk (chunked bodies too), and gzip bodies are
inflated incrementally so the limit applies to the decompressed size."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.requests import ClientDisconnect

from gateway.errors import BadRequest, TooLarge, TooSlow, UnsupportedMedia

BODY_TIMEOUT = 30.0
JSON_TYPES = frozenset({"application/json", "text/plain", ""})
# Common with mobile clients; counted as a rejection, not logged as a crash.
DISCONNECTED = "the client disconnected before the body was complete"
Receive = Callable[[], Awaitable[Mapping[str, Any]]]


def check_content_type(value: str | None) -> None:
    media_type = (value or "").split(";", 1)[0].strip().lower()
    if media_type not in JSON_TYPES and not media_type.endswith("+json"):
        raise UnsupportedMedia(
            "unsupported content type: send JSON as application/json or text/plain"
        )


class BodyBuffer:
    """A body under `limit`, taken chunk by chunk: the declared length is checked when it
    is made (before anything is read), every chunk as it comes, gzip inflated as it goes."""

    __slots__ = ("_inflater", "_limit", "_parts", "_size")

    def __init__(
        self, limit: int, content_length: str | None, content_encoding: str | None
    ) -> None:
        encoding = (content_encoding or "identity").strip().lower()
        if encoding not in ("identity", "gzip", "x-gzip"):
            raise UnsupportedMedia(
                f'unsupported content encoding "{encoding[:20]}": use gzip or none'
            )
        gzipped = encoding != "identity"
        if content_length and not gzipped and _declared(content_length) > limit:
            raise TooLarge(f"body too large: {content_length} bytes (limit {limit})")
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> None:
        if self._inflater is not None:
            chunk = _inflate(self._inflater, chunk, self._limit - self._size)
        self._size += len(chunk)
        if self._size > self._limit:
            raise TooLarge(f"body too large: more than {self._limit} bytes")
        self._parts.append(chunk)

    def whole(self) -> bytes:
        inflater = self._inflater
        if inflater is not None and not inflater.eof:
            raise BadRequest("gzip body is truncated or corrupt")
        if inflater is not None and inflater.unused_data:
            raise BadRequest("gzip body has data after the end of the compressed stream")
        parts = self._parts
        return parts[0] if len(parts) == 1 else b"".join(parts)


async def read_limited(
    chunks: AsyncIterator[bytes],
    *,
    limit: int,
    content_length: str | None,
    content_encoding: str | None,
) -> bytes:
    buffer = BodyBuffer(limit, content_length, content_encoding)
    try:
        async for chunk in chunks:
            buffer.add(chunk)
    except ClientDisconnect:
        raise BadRequest(DISCONNECTED) from None
    return buffer.whole()


async def receive_body(
    receive: Receive, limit: int, content_length: str | None, content_encoding: str | None
) -> bytes:
    """A plain ASGI handler's body, from `receive` itself (no Request, no async generator),
    under the same limits and deadline as read_body."""
    buffer = BodyBuffer(limit, content_length, content_encoding)
    if delivered(receive):  # receive() cannot wait: no deadline to arm (4+ µs a request)
        return await _collect(receive, buffer)
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            return await _collect(receive, buffer)
    except TimeoutError:
        raise TooSlow(f"body not received within {BODY_TIMEOUT:g} s") from None


def delivered(receive: Receive) -> bool:
    """Whether the server has read the whole body already, so that `receive()` returns
    without waiting: uvicorn's request cycle (the bound `receive`) sets `more_body` False
    when its parser reaches the message's end. Any other server, or a uvicorn that no
    longer says so, is read under the deadline."""
    return getattr(getattr(receive, "__self__", None), "more_body", True) is False


async def _collect(receive: Receive, buffer: BodyBuffer) -> bytes:
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            raise BadRequest(DISCONNECTED)
        chunk = message.get("body", b"")
        if chunk:
            buffer.add(chunk)
        if not message.get("more_body", False):
            return buffer.whole()


def _declared(content_length: str) -> int:
    """The declared length; -1 when it is not a plain number (the chunks are counted then).
    One of more than 18 digits is past any limit (and past int()'s digit limit, too)."""
    if not (content_length.isascii() and content_length.isdigit()):
        return -1
    return int(content_length) if len(content_length) <= 18 else 10**18


def _inflate(inflater: zlib._Decompress, chunk: bytes, room: int) -> bytes:
    try:
        out = inflater.decompress(chunk, max(room, 0) + 1)
    except zlib.error as exc:
        raise BadRequest("gzip body is corrupt") from exc
    if inflater.unconsumed_tail:
        raise TooLarge("body too large once decompressed")
    return out


async def read_body(request: Any, limit: int) -> bytes:
    """A request's body under `limit`, received within BODY_TIMEOUT seconds (a client that
    trickles its body gets 408 instead of holding a connection and its buffer open)."""
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            return await read_limited(
                request.stream(),
                limit=limit,
                content_length=request.headers.get("content-length"),
                content_encoding=request.headers.get("content-encoding"),
            )
    except TimeoutError:
        raise TooSlow(f"body not received within {BODY_TIMEOUT:g} s") from None


async def read_json(request: Any, limit: int) -> Any:
    """A small JSON body (an empty one reads as {}): the preference and admin APIs."""
    body = await read_body(request, limit)
    try:
        return orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        raise BadRequest("invalid JSON") from None
