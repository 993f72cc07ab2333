"""What every HTTP handler shares: the status of each refusal in the error tree, JSON
error bodies, and the Retry-After of a store outage; as Starlette responses, and as the
answers the plain ASGI handlers (the ingest paths) send themselves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.responses import Response

from gateway.errors import (
    BadRequest,
    Forbidden,
    JudgingFailed,
    NotFound,
    OriginNotAllowed,
    RateLimited,
    Refused,
    ReplicasBehind,
    StoreUnavailable,
    TooLarge,
    TooSlow,
    Unauthorized,
    UnsupportedMedia,
)

STORE_RETRY_AFTER = 2
STATUS: dict[type[Refused], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    OriginNotAllowed: 403,
    NotFound: 404,
    TooSlow: 408,
    TooLarge: 413,
    UnsupportedMedia: 415,
    RateLimited: 429,
    JudgingFailed: 500,
}


def status_of(exc: Refused) -> int:
    return STATUS.get(type(exc), 400)


INTERNAL_ERROR = "internal error: the request was not accepted"
JSON_TYPE = (b"content-type", b"application/json")
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(slots=True)
class Answer:
    """A response as a plain ASGI handler sends it: the raw header list is complete."""

    status: int
    body: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def json_answer(status: int, body: bytes) -> Answer:
    return Answer(status, body, [JSON_TYPE, (b"content-length", b"%d" % len(body))])


def error_answer(status: int, message: str, retry_after: float | None = None) -> Answer:
    answer = json_answer(status, _error_body(message))
    if retry_after is not None:
        answer.headers.append((b"retry-after", _seconds(retry_after).encode()))
    return answer


def refusal_answer(exc: Refused) -> Answer:
    return error_answer(status_of(exc), exc.message, exc.retry_after)


def unavailable_answer(exc: StoreUnavailable | None = None) -> Answer:
    return error_answer(503, _unavailable(exc), STORE_RETRY_AFTER)


def json_error(status: int, message: str, retry_after: float | None = None) -> Response:
    headers = {"retry-after": _seconds(retry_after)} if retry_after is not None else None
    return Response(_error_body(message), status, headers=headers, media_type="application/json")


def refusal(exc: Refused) -> Response:
    return json_error(status_of(exc), exc.message, exc.retry_after)


def store_unavailable(exc: StoreUnavailable | None = None) -> Response:
    return json_error(503, _unavailable(exc), STORE_RETRY_AFTER)


def _error_body(message: str) -> bytes:
    return orjson.dumps({"success": False, "error": message})


def _seconds(retry_after: float) -> str:
    return str(max(1, round(retry_after)))


def _unavailable(exc: StoreUnavailable | None) -> str:
    if isinstance(exc, ReplicasBehind):
        return "too few replicas confirmed, retry later"
    return "storage unavailable, retry later"
