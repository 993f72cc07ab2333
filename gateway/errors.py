"""The project's error tree. Third-party exceptions are mapped into it once, at the edge;
services raise these, and only the HTTP edge (`gateway/http.py`) and the CLI turn them
into statuses and exit codes.

    GatewayError
    ├── ConfigError            invalid configuration (carries every problem found)
    ├── Refused                a request or event the gateway declines (`code` names why)
    │   ├── BadRequest         malformed JSON, wrong types, missing fields, too deep
    │   ├── Unauthorized       unknown write key; missing or invalid token
    │   ├── Forbidden          CSRF token missing or used; scope missing
    │   │   └── OriginNotAllowed   a browser origin no source lists
    │   ├── NotFound           no such request type or record
    │   ├── TooSlow            the body did not arrive in time
    │   ├── TooLarge           over a size limit
    │   ├── UnsupportedMedia   a content type or encoding the edge does not read
    │   ├── RateLimited        over a rate limit (carries retry_after)
    │   └── JudgingFailed      no event of a request could be judged (a fault of ours)
    ├── StoreUnavailable       the store could not confirm a write or read (→ 503)
    │   └── ReplicasBehind     the master took a write, too few replicas confirmed it (→ 503)
    ├── DeliveryError          one delivery attempt failed
    │   ├── RetryableDelivery  network error, 408, 429, 5xx (not 501/505)
    │   └── FatalDelivery      any other 4xx, refused address, bad destination config
    ├── GeoDatabaseError       a GeoIP database that cannot be opened or read
    └── TCFError               an IAB TCF string that cannot be decoded

Messages name paths, fields and reasons; they never carry payload values.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import ClassVar


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """One or more configuration problems, each a sentence naming file and component."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Refused(GatewayError):
    """Something the gateway declines to take; `code` is the reason label for metrics."""

    code: ClassVar[str] = "refused"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.message = message
        self.retry_after = retry_after
        super().__init__(message)


class BadRequest(Refused):
    code = "bad_request"


class Unauthorized(Refused):
    code = "unauthorized"


class Forbidden(Refused):
    code = "forbidden"


class OriginNotAllowed(Forbidden):
    code = "forbidden_origin"


class NotFound(Refused):
    code = "not_found"


class TooSlow(Refused):
    code = "timeout"


class TooLarge(Refused):
    code = "too_large"


class UnsupportedMedia(Refused):
    code = "unsupported_media_type"


class RateLimited(Refused):
    code = "rate_limited"


class JudgingFailed(Refused):
    code = "internal_error"


class StoreUnavailable(GatewayError):
    """The store did not confirm an operation; callers answer 503 + Retry-After."""

    code: ClassVar[str] = "store_unavailable"


class ReplicasBehind(StoreUnavailable):
    """Fewer replicas than `storage.min_replicas` confirmed a write in time (Redis WAIT).
    The master may keep it, but a failover could lose it, so it is not acknowledged: the
    client retries, and the messageId dedupe keeps the retry from becoming a duplicate."""

    code = "too_few_replicas"


class DeliveryError(GatewayError):
    """A delivery attempt failed. `code` is the fixed reason code that metrics and the
    console show: `http_<status>` when the destination answered, else what kept it from
    answering (`timeout`, `network_error`, `adapter_error`), else `refused`."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        self.status = status
        self.code = code or (f"http_{status}" if status is not None else "refused")
        super().__init__(message)


class RetryableDelivery(DeliveryError):
    """Worth another attempt later (network error, 408, 429, most 5xx)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class FatalDelivery(DeliveryError):
    """Will never succeed as sent: dead-letter at once."""


class GeoDatabaseError(GatewayError):
    """A GeoIP database that cannot be opened or read."""


class TCFError(GatewayError, ValueError):
    """An IAB TCF string that cannot be decoded; callers treat it as no consent."""


def fault_site(exc: BaseException) -> str:
    """`module.py:line` of the innermost frame an exception was raised in: what a log says
    of a fault of ours (its message may quote the request)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}"
