"""The store interfaces. Two backends implement them (sqlite/, redis/) and pass one
conformance suite (tests/store/test_conformance.py). Callers never see backend errors:
anything the store cannot confirm raises `gateway.errors.StoreUnavailable`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, Protocol, TypedDict


class Provenance(TypedDict):
    """What an outbox entry carries about the decision behind it, for the provision ledger:
    the policy version, the consent stamp, the destination's purposes, the categories of
    data in the payload and the recipient's country."""

    policy_version: str
    consent: dict[str, Any]
    basis: NotRequired[dict[str, str]]
    """Per purpose, the kind of signal that decided it (absent in entries queued by 0.1.0)."""
    purposes: list[str]
    categories: list[str]
    country: str


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One per-destination payload, sanitized and projected, waiting for delivery."""

    destination: str
    idempotency_key: str
    message_id: str
    source_id: str
    subject_keys: tuple[str, ...]
    payload: dict[str, Any]
    meta: Provenance
    created_at: float


@dataclass(frozen=True, slots=True)
class Claimed:
    """An outbox entry leased to one worker; `ref` is backend-specific."""

    ref: str
    item: OutboxItem
    attempts: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    ref: str
    item: OutboxItem
    attempts: int
    reason: str
    dead_at: float


@dataclass(frozen=True, slots=True)
class ProvisionRecord:
    """APPI art. 29: one record per personal-data provision to a third party."""

    delivered_at: float
    destination: str
    country: str
    purposes: tuple[str, ...]
    categories: tuple[str, ...]
    subject_key: str
    subject_keys: tuple[str, ...]
    message_id: str
    idempotency_key: str
    policy_version: str
    consent: dict[str, Any] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)
    """Per purpose, the kind of signal that decided it (policy.consent.resolver.BASIS); empty in
    records written before it was kept."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivered_at": self.delivered_at,
            "destination": self.destination,
            "country": self.country,
            "purposes": list(self.purposes),
            "categories": list(self.categories),
            "subject_key": self.subject_key,
            "message_id": self.message_id,
            "idempotency_key": self.idempotency_key,
            "policy_version": self.policy_version,
            "consent": self.consent,
            "basis": self.basis,
        }


@dataclass(frozen=True, slots=True)
class QueueStats:
    pending: int
    oldest_age_seconds: float
    dead_letters: int


@dataclass(frozen=True, slots=True)
class Dedupe:
    """(source, messageId) pairs to enqueue at most once within `window_seconds`."""

    keys: tuple[tuple[str, str], ...]
    window_seconds: int


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """One entry of the append-only consent log."""

    at: float
    subject_key: str
    before: dict[str, Any]
    after: dict[str, Any]
    source: str
    policy_version: str
    basis: dict[str, str] = field(default_factory=dict)
    """Per purpose, the basis of the decision after the change (policy.consent.resolver.BASIS)."""
    notice_version: str = ""
    """The external-transmission notice the subject was shown (privacy.notice)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "subject_key": self.subject_key,
            "before": self.before,
            "after": self.after,
            "source": self.source,
            "policy_version": self.policy_version,
            "basis": self.basis,
            "notice_version": self.notice_version,
        }


class Outbox(Protocol):
    """The queue: what ingest writes and the delivery worker works through."""

    async def enqueue(self, items: Sequence[OutboxItem], dedupe: Dedupe | None = None) -> set[str]:
        """Commit all items durably in one transaction; returns the message ids skipped as
        duplicates (their items were not written). Raises StoreUnavailable."""
        ...

    async def claim(self, destination: str, limit: int, lease_seconds: float) -> list[Claimed]:
        """Lease up to `limit` due entries; a lease that expires makes them claimable again."""
        ...

    async def delivered(
        self, entries: Sequence[Claimed], records: Sequence[ProvisionRecord]
    ) -> None:
        """Remove delivered entries and write their ledger records, atomically."""
        ...

    async def retry_later(self, entry: Claimed, delay: float, error: str) -> None: ...

    async def dead_letter(self, entry: Claimed, reason: str) -> None: ...

    async def stats(self, destinations: Sequence[str]) -> dict[str, QueueStats]: ...


class DeadLetters(Protocol):
    """The operator's view of what delivery gave up on."""

    async def entries(self, destination: str | None, limit: int) -> list[DeadLetter]: ...

    async def replay(self, destination: str | None, refs: Sequence[str] | None) -> int:
        """Move dead letters back to the outbox, keeping their idempotency keys."""
        ...

    async def drop(self, destination: str | None, refs: Sequence[str] | None) -> int: ...

    async def purge(self, before: float) -> int:
        """Drop dead letters older than `before` (retention.dead_letter_days)."""
        ...


class Erasure(Protocol):
    """What a deletion or suspension request removes besides preferences."""

    async def forget_pending(
        self, subject_keys: Sequence[str], destinations: Sequence[str] | None
    ) -> int:
        """Delete not-yet-delivered entries of a subject (all destinations when None)."""
        ...

    async def forget_dead(
        self, subject_keys: Sequence[str], destinations: Sequence[str] | None
    ) -> int:
        """Delete a subject's dead letters (so no later replay delivers them)."""
        ...

    async def forget_dedupe(self, source_ids: Sequence[str], message_ids: Sequence[str]) -> int:
        """Delete the dedupe markers of these messages (their ids are the subject's)."""
        ...

    async def pending(self, subject_keys: Sequence[str]) -> list[OutboxItem]:
        """A subject's not-yet-delivered entries (for a disclosure: held, to be provided)."""
        ...

    async def dead(self, subject_keys: Sequence[str]) -> list[OutboxItem]:
        """A subject's dead letters (held, and an operator may still replay them)."""
        ...


class DedupeUpkeep(Protocol):
    async def purge(self, now: float) -> int:
        """Drop dedupe markers whose window has passed (Redis expires its own)."""
        ...


class Ledger(Protocol):
    async def query(
        self,
        *,
        subject_keys: Sequence[str] | None = None,
        destination: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 1000,
    ) -> list[ProvisionRecord]: ...

    async def purge(self, before: float) -> int: ...


class Preferences(Protocol):
    async def get_many(self, subject_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored preference state per subject key (absent keys are left out)."""
        ...

    async def put(
        self, subject_keys: Sequence[str], state: dict[str, Any], change: ConsentChange
    ) -> None:
        """Store the state under each of a subject's keys and append the change to the
        consent log once."""
        ...

    async def change(
        self,
        subject_keys: Sequence[str],
        apply: Callable[[dict[str, Any]], dict[str, Any]],
        log: Callable[[str, dict[str, Any], dict[str, Any]], ConsentChange | None],
    ) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        """For each key, atomically: read its state, store `apply(state)` and append
        `log(key, before, after)` unless that is None — concurrent changes never lose one
        another's choices. Returns each key's (before, after)."""
        ...

    async def delete(self, subject_keys: Sequence[str]) -> int: ...

    async def consent_log(self, subject_keys: Sequence[str]) -> list[ConsentChange]: ...

    async def purge_log(self, before: float) -> int: ...


Charge = tuple[str, float, int, int]
"""A bucket's name within its group, its rate (/s), its burst and the cost to take."""


class RateLimiter(Protocol):
    async def hit(self, key: str, rate: float, burst: int, cost: int = 1) -> float:
        """Take `cost` tokens; returns 0 when allowed, else seconds until they are there.
        A cost above `burst` passes when the bucket is full and leaves it in debt; cost 0
        takes nothing and answers whether one token is there (a check before the work)."""
        ...

    async def hit_all(self, group: str, charges: Sequence[Charge]) -> float:
        """`hit` for each charge in order, in one call (one round trip on Redis), on
        buckets of their own under `group`: the first that must wait stops the rest and
        its wait is returned (those before it stay taken, as with one `hit` after
        another); 0 when every one was allowed."""
        ...


class ReplicationObserver(Protocol):
    """What a replicated store reports (the metrics implement it): how long replicas took
    to confirm a write, writes refused because too few did, and failovers seen."""

    def replica_ack(self, seconds: float) -> None: ...

    def too_few_replicas(self, write: str) -> None: ...

    def failover(self) -> None: ...


class Store(Protocol):
    """Everything a backend provides."""

    @property
    def outbox(self) -> Outbox: ...

    @property
    def dead_letters(self) -> DeadLetters: ...

    @property
    def erasure(self) -> Erasure: ...

    @property
    def dedupe(self) -> DedupeUpkeep: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def preferences(self) -> Preferences: ...

    @property
    def limiter(self) -> RateLimiter: ...

    async def ping(self) -> None:
        """Raise StoreUnavailable when the backend cannot be reached."""
        ...

    async def get_or_create_key(self) -> bytes:
        """The gateway's secret key when none is configured (SQLite: a file by the database)."""
        ...

    async def use_once(self, key: str, ttl_seconds: int) -> bool:
        """True the first time `key` is used within `ttl_seconds` (single-use form tokens)."""
        ...

    async def used(self, key: str) -> bool:
        """Whether `key` was used (`use_once`) and its time has not run out: a mark every
        process sees, such as a console session signed out."""
        ...

    async def log_admin_action(self, entry: dict[str, Any]) -> None: ...

    async def admin_log(self, limit: int) -> list[dict[str, Any]]: ...

    async def purge_admin_log(self, before: float) -> int:
        """Drop admin-log entries older than `before` (retention.admin_log_days)."""
        ...

    async def aclose(self) -> None: ...
