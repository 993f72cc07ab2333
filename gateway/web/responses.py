"""What every HTTP handler shares: the status of each refusal in the error tree, JSON
error bodies, and the Retry-After of a store outage."""

from __future__ import annotations

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


def json_error(status: int, message: str, retry_after: float | None = None) -> Response:
    headers = {"retry-after": str(max(1, round(retry_after)))} if retry_after is not None else None
    body = orjson.dumps({"success": False, "error": message})
    return Response(body, status, headers=headers, media_type="application/json")


def refusal(exc: Refused) -> Response:
    return json_error(status_of(exc), exc.message, exc.retry_after)


def store_unavailable(exc: StoreUnavailable | None = None) -> Response:
    if isinstance(exc, ReplicasBehind):
        return json_error(503, "too few replicas confirmed, retry later", STORE_RETRY_AFTER)
    return json_error(503, "storage unavailable, retry later", STORE_RETRY_AFTER)
