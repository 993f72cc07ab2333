"""Retention: provision records, the consent log and dead letters are kept for their
configured periods (gateway.yaml `retention`), then purged. Runs beside delivery."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from gateway.config.loader import Config
from gateway.errors import StoreUnavailable
from gateway.store.types import Store

log = logging.getLogger("gateway.maintenance")
DAY = 86400.0
INTERVAL = 600.0  # seconds; the dedupe table grows until it runs


class Kept(Protocol):
    """What retention uses of the running gateway."""

    config: Config

    @property
    def store(self) -> Store: ...


async def purge_once(runtime: Kept, now: float | None = None) -> dict[str, int]:
    retention = runtime.config.gateway.retention
    now = now if now is not None else time.time()
    store = runtime.store
    return {
        "ledger": await store.ledger.purge(now - retention.ledger_days * DAY),
        "consent_log": await store.preferences.purge_log(now - retention.consent_log_days * DAY),
        "dead_letters": await store.dead_letters.purge(now - retention.dead_letter_days * DAY),
        "dedupe": await store.dedupe.purge(now),
    }


async def run(runtime: Callable[[], Kept], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            purged = await purge_once(runtime())
            if any(purged.values()):
                log.info("retention: purged %s", purged)
        except StoreUnavailable:
            log.warning("retention: store unavailable, will try again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=INTERVAL)
