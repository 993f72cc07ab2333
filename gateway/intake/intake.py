"""The intake: what happens to the events of one request once the edge has read it and
knows its source. It knows no HTTP; `gateway explain` runs the same code with an outbox
that keeps nothing, so what explain says is what runs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from gateway.config.schema import LimitsConfig, SourceConfig
from gateway.errors import BadRequest, JudgingFailed, fault_site
from gateway.intake.pipeline import Outcome, Pipeline, unique_keys
from gateway.intake.spec import Stamper, events_from, new_message_id
from gateway.plans.decision import PlanResult
from gateway.policy.consent.resolver import RequestSignals
from gateway.policy.forbidden.walk import NestingTooDeepError
from gateway.store.types import Dedupe, OutboxItem

log = logging.getLogger("gateway.intake")
SLICE_SECONDS = 0.001
OFF_LOOP_BYTES = 64 * 1024


class OutboxSink(Protocol):
    async def enqueue(self, items: Sequence[OutboxItem], dedupe: Dedupe | None = None) -> set[str]:
        """Keep the items (all or none); returns the message ids skipped as duplicates."""
        ...


class PreferenceReader(Protocol):
    async def get_many(self, subject_keys: Sequence[str]) -> dict[str, dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class Arrival:
    """What the edge knows of a request beyond its body."""

    source: SourceConfig
    address: str | None = None
    """The client's address (behind a trusted proxy: the forwarded one)."""
    user_agent: str | None = None
    signals: RequestSignals = field(default_factory=RequestSignals)
    body_size: int = 0


@dataclass(slots=True)
class Taken:
    """What the intake did with a request's events."""

    events: list[dict[str, Any]]
    """The events judged or refused, first copy of each messageId, in request order."""
    outcomes: list[Outcome]
    items: list[OutboxItem]
    stored: Mapping[str, Mapping[str, Any]]
    """Preferences stored for the request's subjects."""
    repeated: int = 0
    """Copies of a messageId already in the same request (dropped)."""
    duplicates: set[str] = field(default_factory=set)
    """Message IDs the outbox had already taken within the dedupe window (dropped)."""
    unjudged: set[str] = field(default_factory=set)
    """Message IDs of events that could not be judged through a fault of ours (refused)."""
    plan: PlanResult | None = None
    """The source's tracking plan's decisions (events it dropped are not in `events`)."""


class Turns:
    """A large batch must not hold the event loop: work done per event gives other
    requests a turn every SLICE_SECONDS."""

    def __init__(self) -> None:
        self._end = time.perf_counter() + SLICE_SECONDS

    def due(self) -> bool:
        """Whether this slice is over (then `take` gives the turn); checked without creating
        a coroutine per event."""
        return time.perf_counter() > self._end

    async def take(self) -> None:
        await asyncio.sleep(0)
        self._end = time.perf_counter() + SLICE_SECONDS


class DiscardingOutbox:
    """The outbox of `explain`: keeps nothing, remembers what it was given."""

    def __init__(self) -> None:
        self.items: list[OutboxItem] = []

    async def enqueue(self, items: Sequence[OutboxItem], dedupe: Dedupe | None = None) -> set[str]:
        self.items.extend(items)
        return set()


class Intake:
    def __init__(
        self,
        pipeline: Pipeline,
        preferences: PreferenceReader,
        limits: LimitsConfig,
        dedupe_window: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pipeline = pipeline
        self._preferences = preferences
        self._limits = limits
        self._window = dedupe_window
        self._clock = clock

    async def take(
        self, document: Any, implied: str | None, arrival: Arrival, outbox: OutboxSink
    ) -> Taken:
        """Spec-check, stamp, de-duplicate, apply the source's tracking plan, judge and route
        the events of `document`, then hand their payloads to `outbox` in one call. Raises
        BadRequest / TooLarge for a document the Spec refuses, JudgingFailed when no event
        could be judged."""
        source = arrival.source
        if arrival.body_size > OFF_LOOP_BYTES:  # checking a large batch takes milliseconds
            events = await asyncio.to_thread(
                events_from, document, implied, self._limits, arrival.body_size
            )
        else:
            events = events_from(document, implied, self._limits, arrival.body_size)
        received = self._clock()
        fresh = _stamp(events, document, arrival, received, self.pipeline.message_id)
        events, repeated = _first_of_each(events)
        events, plan = self.pipeline.plans.apply(source.id, events)
        taken = await self._judge(events, source, arrival.signals)
        taken.repeated, taken.plan = repeated, plan
        # A resend after a fault is fixed must not count as a duplicate.
        fresh = [message_id for message_id in fresh if message_id not in taken.unjudged]
        now = received.timestamp()
        turns = Turns()
        for outcome in taken.outcomes:
            if turns.due():
                await turns.take()
            taken.items.extend(self.pipeline.outbox_items(outcome, source, now))
        dedupe = Dedupe(tuple((source.id, m) for m in fresh), self._window)
        taken.duplicates = await outbox.enqueue(
            taken.items, dedupe if fresh and self._window else None
        )
        return taken

    async def _judge(
        self, events: list[dict[str, Any]], source: SourceConfig, signals: RequestSignals
    ) -> Taken:
        """Each event judged on its own: an event that cannot be judged (a fault of ours) is
        refused alone, so nothing unjudged goes on and the rest of the batch still does."""
        pipeline = self.pipeline
        turns = Turns()
        keys = []
        for event in events:
            if turns.due():
                await turns.take()
            keys.append(pipeline.prepare(event))
        stored = await self._preferences.get_many(unique_keys(keys))
        outcomes = []
        unjudged: set[str] = set()
        for event, event_keys in zip(events, keys, strict=True):
            if turns.due():
                await turns.take()
            try:
                outcomes.append(pipeline.process(event, event_keys, source, signals, stored))
            except NestingTooDeepError:
                # JSON inside strings counts too: refused whole rather than half-scanned.
                raise BadRequest("event nests too deeply (counting JSON inside strings)") from None
            except Exception as exc:  # any fault of ours: fail closed for this event only
                # Its type and place only: the message (and a traceback, under a logging
                # config other than ours) may quote the event.
                log.error("an event could not be judged (%s at %s); it was refused",
                          type(exc).__name__, fault_site(exc))  # fmt: skip
                unjudged.add(event["messageId"])
        if unjudged and not outcomes:
            raise JudgingFailed("the gateway could not judge the events; none was accepted")
        return Taken(events, outcomes, [], stored, unjudged=unjudged)


def _stamp(
    events: list[dict[str, Any]],
    document: Any,
    arrival: Arrival,
    received: datetime,
    kept_id: Callable[[str], str],
) -> list[str]:
    """Server-side fields, and the messageId the gateway may keep (`kept_id`); returns the
    client-supplied message IDs (for deduplication)."""
    batch_sent_at = document.get("sentAt") if isinstance(document, dict) else None
    kind = arrival.source.kind
    fresh: dict[str, None] = {}
    stamper = Stamper(received, batch_sent_at, new_message_id)
    for event in events:
        event.pop("writeKey", None)
        if stamper.stamp(event):
            event["messageId"] = message_id = kept_id(event["messageId"])
            fresh[message_id] = None
        context = event.setdefault("context", {})
        if "ip" not in context and arrival.address is not None and kind != "server":
            context["ip"] = arrival.address
        if "userAgent" not in context and arrival.user_agent and kind == "web":
            context["userAgent"] = arrival.user_agent
    return list(fresh)


def _first_of_each(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """A batch that repeats a messageId carries the same event twice: the first copy goes
    on, the others are duplicates (as a later resend would be)."""
    seen: set[str] = set()
    kept = []
    for event in events:
        message_id = event["messageId"]
        if message_id not in seen:
            seen.add(message_id)
            kept.append(event)
    return kept, len(events) - len(kept)
