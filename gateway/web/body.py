"""Reading a request body under the size limits, before it is buffered whole: the declared
Content-Length is checked first, then every chunk (chunked bodies too), and gzip bodies are
inflated incrementally so the limit applies to the decompressed size."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import ClientDisconnect

from gateway.errors import BadRequest, TooLarge, TooSlow, UnsupportedMedia

BODY_TIMEOUT = 30.0
JSON_TYPES = frozenset({"application/json", "text/plain", ""})


def check_content_type(value: str | None) -> None:
    media_type = (value or "").split(";", 1)[0].strip().lower()
    if media_type not in JSON_TYPES and not media_type.endswith("+json"):
        raise UnsupportedMedia(
            "unsupported content type: send JSON as application/json or text/plain"
        )


async def read_limited(
    chunks: AsyncIterator[bytes],
    *,
    limit: int,
    content_length: str | None,
    content_encoding: str | None,
) -> bytes:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise UnsupportedMedia(f'unsupported content encoding "{encoding[:20]}": use gzip or none')
    gzipped = encoding != "identity"
    if content_length and content_length.isdigit() and not gzipped and int(content_length) > limit:
        raise TooLarge(f"body too large: {content_length} bytes (limit {limit})")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in chunks:
            if inflater is not None:
                chunk = _inflate(inflater, chunk, limit - size)
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"body too large: more than {limit} bytes")
            parts.append(chunk)
    except ClientDisconnect:
        # Common with mobile clients; counted as a rejection, not logged as a crash.
        raise BadRequest("the client disconnected before the body was complete") from None
    if inflater is not None and not inflater.eof:
        raise BadRequest("gzip body is truncated or corrupt")
    if inflater is not None and inflater.unused_data:
        raise BadRequest("gzip body has data after the end of the compressed stream")
    return b"".join(parts)


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
