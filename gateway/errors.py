"""The project's error tree. Third-party exceptions are mapped into it once, at the edge.

    GatewayError
    ├── ConfigError            invalid configuration (carries every problem found)
    ├── IngestError            a request the edge refuses (HTTP status + JSON message)
    ├── StoreUnavailable       the store could not confirm a write or read (→ 503)
    ├── DeliveryError          one delivery attempt failed
    │   ├── RetryableDelivery  network error, 408, 429, 5xx (not 501/505)
    │   └── FatalDelivery      any other 4xx, refused address, bad destination config
    └── TCFError               (gateway.policy.tcf) an IAB TCF string that cannot be decoded

Messages name paths, fields and reasons; they never carry payload values.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """One or more configuration problems, each a sentence naming file and component."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class IngestError(GatewayError):
    """A request refused at the edge; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, *, retry_after: float | None = None) -> None:
        self.status = status
        self.message = message
        self.retry_after = retry_after
        super().__init__(message)


class StoreUnavailable(GatewayError):
    """The store did not confirm an operation; callers answer 503 + Retry-After."""


class DeliveryError(GatewayError):
    """A delivery attempt failed."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class RetryableDelivery(DeliveryError):
    """Worth another attempt later (network error, 408, 429, most 5xx)."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class FatalDelivery(DeliveryError):
    """Will never succeed as sent: dead-letter at once."""
