"""A store's fault, said once: one log line when it starts (or its cause changes), one
when it clears, never one per refused request."""

from __future__ import annotations

import logging

log = logging.getLogger("gateway.store")


class Condition:
    def __init__(self, name: str) -> None:
        self.name = name
        self.cause: str | None = None

    def failed(self, cause: str) -> None:
        if cause != self.cause:
            log.error("%s unavailable: %s (requests that need it get 503)", self.name, cause)
            self.cause = cause

    def recovered(self) -> None:
        if self.cause is not None:
            log.warning("%s available again (it was: %s)", self.name, self.cause)
            self.cause = None
