"""The delivery worker: per destination, claim due payloads from the outbox, send them
with bounded concurrency, then record the provision (success), schedule a retry, or
dead-letter. One dead vendor cannot slow the others: each destination has its own loop,
concurrency cap and circuit breaker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol

from gateway.config.loader import Config
from gateway.delivery.retry import Breaker, exhausted, next_delay
from gateway.destinations.base import Destination, Outgoing
from gateway.errors import DeliveryError, FatalDelivery, RetryableDelivery, StoreUnavailable
from gateway.observability.metrics import Metrics
from gateway.store.types import Claimed, ProvisionRecord, Store

log = logging.getLogger("gateway.delivery")
STATS_INTERVAL = 5.0
WAVES = 4  # a round claims this many requests' worth per concurrency slot
DeadCode = Literal["gave_up", "fatal"]


class Deliveries(Protocol):
    """What the worker uses of the running gateway (a reload swaps it whole)."""

    config: Config

    @property
    def destinations(self) -> Mapping[str, Destination]: ...

    @property
    def store(self) -> Store: ...

    @property
    def metrics(self) -> Metrics: ...


def provision_record(entry: Claimed, delivered_at: float) -> ProvisionRecord:
    item = entry.item
    meta = item.meta
    return ProvisionRecord(
        delivered_at=delivered_at,
        destination=item.destination,
        country=meta["country"],
        purposes=tuple(meta["purposes"]),
        categories=tuple(meta["categories"]),
        subject_key=item.subject_keys[0] if item.subject_keys else "",
        subject_keys=item.subject_keys,
        message_id=item.message_id,
        idempotency_key=item.idempotency_key,
        policy_version=meta["policy_version"],
        consent=dict(meta["consent"]),
        basis=dict(meta.get("basis", {})),
    )


class DeliveryWorker:
    def __init__(self, runtime: Callable[[], Deliveries]) -> None:
        self._runtime = runtime
        self._breakers: dict[str, Breaker] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Run until `stop()`; follows config reloads (new destinations get a loop)."""
        stats = asyncio.create_task(self._stats_loop())
        try:
            while not self._stopping.is_set():
                self._sync_loops()
                await self._sleep(1.0)
        finally:
            stats.cancel()
            await self._finish_rounds()
            await asyncio.gather(stats, return_exceptions=True)

    async def _finish_rounds(self) -> None:
        """On stop, requests already sent get their answer and their provision record
        (cancelling them would leave the payloads leased, sent but unrecorded, until the
        lease ran out); only what outlasts the grace period is cancelled."""
        tasks = list(self._tasks.values())
        if not tasks:
            return
        grace = self._runtime().config.gateway.delivery.timeout_seconds + 5
        _, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        self._stopping.set()

    def _sync_loops(self) -> None:
        names = set(self._runtime().destinations)
        for name in names - set(self._tasks):
            self._tasks[name] = asyncio.create_task(self._loop(name), name=f"deliver:{name}")
        for name, task in list(self._tasks.items()):
            if task.done():
                del self._tasks[name]

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _loop(self, name: str) -> None:
        paused = False  # said once per outage: the store logs its cause
        while not self._stopping.is_set():
            runtime = self._runtime()
            destination = runtime.destinations.get(name)
            if destination is None:
                return
            try:
                sent = await self._round(runtime, name, destination)
                if paused:
                    log.info("delivery %s: store available, resuming", name)
                    paused = False
            except StoreUnavailable:
                if not paused:
                    log.warning("delivery %s: store unavailable, pausing", name)
                    paused = True
                sent = 0
                await self._sleep(2.0)
            except Exception:
                log.exception("delivery %s: unexpected error, pausing", name)
                sent = 0
                await self._sleep(2.0)
            if sent == 0:
                await self._sleep(runtime.config.gateway.delivery.poll_interval_seconds)
            elif sent < destination.max_batch:
                await self._sleep(getattr(destination.config, "flush_interval", 0.0))

    async def _round(self, runtime: Deliveries, name: str, destination: Destination) -> int:
        settings = runtime.config.gateway.delivery
        breaker = self._breakers.setdefault(
            name, Breaker(settings.breaker_failures, settings.breaker_cooldown_seconds)
        )
        wait = breaker.wait()
        if wait > 0:
            await self._sleep(wait)
            return 0
        # Half-open: a single request probes the vendor before the pool opens up again.
        half_open = breaker.is_open
        concurrency = 1 if half_open else settings.concurrency
        waves = 1 if half_open else WAVES
        # The lease outlasts every wave of requests the round may wait for.
        lease = settings.timeout_seconds * (waves + 1) + 5
        claimed = await runtime.store.outbox.claim(
            name, destination.max_batch * concurrency * waves, lease
        )
        if not claimed:
            return 0
        batches = [
            claimed[i : i + destination.max_batch]
            for i in range(0, len(claimed), destination.max_batch)
        ]
        slots = asyncio.Semaphore(concurrency)

        async def send(batch: Sequence[Claimed]) -> Sequence[Claimed]:
            async with slots:
                if breaker.is_open and not half_open:
                    # The breaker opened during this round: stop calling the vendor. The
                    # entries stay leased and come back when the lease ends.
                    return ()
                return batch if await self._send(runtime, destination, batch, breaker) else ()

        sent = await asyncio.gather(*(send(b) for b in batches))
        delivered = [entry for batch in sent for entry in batch]
        if delivered:
            # One commit records every provision of the round (and removes the entries).
            now = time.time()
            records = [provision_record(e, now) for e in delivered]
            await runtime.store.outbox.delivered(delivered, records)
        runtime.metrics.breaker_open.labels(destination=name).set(1 if breaker.is_open else 0)
        return len(claimed)

    async def _send(
        self,
        runtime: Deliveries,
        destination: Destination,
        batch: Sequence[Claimed],
        breaker: Breaker,
    ) -> bool:
        """Send one request; True when delivered (the caller records it), else the entries
        are already rescheduled or dead-lettered."""
        name = destination.config.name
        metrics = runtime.metrics
        try:
            try:
                await destination.send(
                    [Outgoing(e.item.idempotency_key, e.item.payload) for e in batch]
                )
            except (DeliveryError, asyncio.CancelledError):
                raise
            except Exception as exc:
                # An adapter bug must not lease the payloads forever without counting an
                # attempt: it is a failed attempt like any other (type only: no values).
                log.error("delivery %s: adapter raised %s", name, type(exc).__name__)
                raise RetryableDelivery(
                    f"adapter error ({type(exc).__name__})", code="adapter_error"
                ) from exc
        except RetryableDelivery as exc:
            breaker.failure()
            metrics.deliveries.labels(destination=name, outcome="retry").inc()
            metrics.delivery_failed(name, exc.code)
            for entry in batch:
                await self._retry(runtime, entry, exc)
            return False
        except DeliveryError as exc:
            if isinstance(exc, FatalDelivery) and exc.status is not None:
                breaker.success()  # the vendor answered: it is up, the payload is the problem
            metrics.deliveries.labels(destination=name, outcome="fatal").inc()
            metrics.delivery_failed(name, exc.code)
            for entry in batch:
                await self._dead(runtime, entry, "fatal", str(exc))
            return False
        breaker.success()
        metrics.deliveries.labels(destination=name, outcome="delivered").inc()
        metrics.delivered_events.labels(destination=name).inc(len(batch))
        return True

    async def _retry(self, runtime: Deliveries, entry: Claimed, exc: RetryableDelivery) -> None:
        settings = runtime.config.gateway.delivery
        attempts = entry.attempts + 1
        if exhausted(attempts, entry.item.created_at, settings, time.time()):
            await self._dead(runtime, entry, "gave_up", f"gave up after {attempts} attempts: {exc}")
            return
        delay = next_delay(attempts - 1, exc.retry_after, settings)
        runtime.metrics.retry_delay.labels(destination=entry.item.destination).observe(delay)
        await runtime.store.outbox.retry_later(entry, delay, str(exc))

    async def _dead(self, runtime: Deliveries, entry: Claimed, code: DeadCode, reason: str) -> None:
        name = entry.item.destination
        log.warning("delivery %s: dead-lettered one payload (%s)", name, reason)
        await runtime.store.outbox.dead_letter(entry, reason)
        # Counted once stored: whoever sees the count can find the dead letter.
        runtime.metrics.dead_letters.labels(destination=name, reason=code).inc()

    async def _stats_loop(self) -> None:
        while not self._stopping.is_set():
            runtime = self._runtime()
            try:
                stats = await runtime.store.outbox.stats(list(runtime.destinations))
            except StoreUnavailable:
                stats = {}
            for name, value in stats.items():
                runtime.metrics.queue_depth.labels(destination=name).set(value.pending)
                runtime.metrics.queue_oldest.labels(destination=name).set(value.oldest_age_seconds)
                runtime.metrics.dead_letter_depth.labels(destination=name).set(value.dead_letters)
            await self._sleep(STATS_INTERVAL)
