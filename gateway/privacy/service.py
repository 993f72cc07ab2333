"""Operations on a subject's preferences and records, shared by the HTTP routes, the
preference page and `gateway dsar`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.config.loader import Config
from gateway.policy.consent.resolver import ConsentResolver, RequestSignals
from gateway.policy.engine import merge_preferences
from gateway.policy.identifiers import SubjectKeys
from gateway.privacy.notice import notice_version
from gateway.privacy.preferences import (
    apply_update,
    choosable_purposes,
    only_refusals,
    refused_destinations,
    suppression_of,
    view,
)
from gateway.store.types import ConsentChange, OutboxItem, Store

# Which of a subject's keys carries its consent log: the device's, then the person's.
LOG_ORDER = {"a_": 0, "u_": 1, "d_": 2}


@dataclass(frozen=True, slots=True)
class Device:
    """The subject keys a subject token speaks for: its anonymousId's, and the userId its
    events claimed (unverified)."""

    anon: str
    user: str | None = None


class PrivacyService:
    def __init__(
        self, config: Config, store: Store, resolver: ConsentResolver, keys: SubjectKeys
    ) -> None:
        self.config = config
        self.store = store
        self.resolver = resolver
        self.keys = keys
        self.purposes = choosable_purposes(resolver.purposes)
        self.vendors = [d.name for d in config.destinations if d.enabled]
        self._needs = {d.name: tuple(d.purposes) for d in config.destinations if d.enabled}

    async def state(self, keys: Sequence[str]) -> dict[str, Any]:
        stored = await self.store.preferences.get_many(keys)
        return merge_preferences(stored[k] for k in keys if k in stored)

    async def current(
        self, device: Device, country: str | None = None, gpc: bool = False
    ) -> dict[str, Any]:
        """The device's own choices: a userId the device merely claimed shows nothing of
        that person's (another device's) choices."""
        state = await self.state([device.anon])
        return self._view(state, country, gpc)

    def _view(self, state: dict[str, Any], country: str | None, gpc: bool) -> dict[str, Any]:
        probe: dict[str, Any] = {"context": {"geo": {"country": country}} if country else {}}
        consent = self.resolver.resolve(probe, RequestSignals(gpc=gpc), state)
        version = self.config.policy.version
        shown = view(consent, state, self.purposes, self.vendors, version)
        shown["gpc"] = gpc
        shown["notice_version"] = notice_version(self.config)
        shown["new"] = self.unseen(state)
        shown["recipients"] = self._recipients()
        shown["review_required"] = bool(shown["new"]["purposes"] or shown["new"]["recipients"])
        return shown

    def notice_seen(self) -> dict[str, list[str]]:
        """What a choice made now is made against: the choosable purposes and the recipients
        that need consent (policy, "Changes to this document")."""
        recipients = [
            d.notice_key() for d in self.config.destinations if d.enabled and d.role != "processor"
        ]
        return {"purposes": sorted(self.purposes), "recipients": sorted(recipients)}

    def unseen(self, state: dict[str, Any]) -> dict[str, list[str]]:
        """Purposes and recipients (by name) added since the subject's stored grants were
        made: they are asked again. A subject without a stored grant has nothing to review."""
        seen = state.get("seen")
        if not isinstance(seen, dict):
            return {"purposes": [], "recipients": []}
        now = self.notice_seen()
        keys = set(now["recipients"]) - set(seen.get("recipients", []))
        names = [d.name for d in self.config.destinations if d.enabled and d.notice_key() in keys]
        purposes = [p for p in now["purposes"] if p not in seen.get("purposes", [])]
        return {"purposes": purposes, "recipients": names}

    async def update(
        self,
        device: Device,
        update: dict[str, Any],
        source: str,
        country: str | None = None,
        gpc: bool = False,
    ) -> dict[str, Any]:
        """A change made on a device: stored under its anonymousId. Refusals in it also go
        under the userId its events claimed, so a "no" follows the person to their other
        devices; a grant never does, since the claim is unverified (write keys are public)
        and must not undo anyone's "no" elsewhere."""
        after = await self._change([device.anon], update, source)
        if device.user is not None:
            refusals = only_refusals(update)
            if refusals:
                await self._change([device.user], refusals, source)
        return self._view(after, country, gpc)

    async def _change(
        self, keys: Sequence[str], update: dict[str, Any], source: str
    ) -> dict[str, Any]:
        """Apply a change to the state under each of `keys` (atomically in the store, so
        concurrent changes keep each other's choices), log it, and drop not-yet-delivered
        payloads it no longer allows."""
        seen = self.notice_seen()
        results = await self._apply(
            keys,
            lambda state: {**apply_update(merge_preferences([state]), update), "seen": seen},
            source,
        )
        after = merge_preferences(a for _, a in results.values())
        refused = refused_destinations(after, self._needs)
        if refused:
            await self._forget(keys, refused)
        return after

    async def _apply(
        self, keys: Sequence[str], change: Callable[[dict[str, Any]], dict[str, Any]], source: str
    ) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        version = self.config.policy.version
        # A data-subject request names an identifier of unknown kind (three keys): the
        # change goes to the keys that already hold the subject's choices, and is logged
        # there once; only a subject with none yet gets all three.
        existing = await self.store.preferences.get_many(keys)
        targets = [k for k in keys if k in existing] or list(keys)
        logged = min(targets, key=lambda k: LOG_ORDER.get(k[:2], 9))

        notice = notice_version(self.config)

        def log(key: str, before: dict[str, Any], after: dict[str, Any]) -> ConsentChange | None:
            if key != logged:
                return None
            merged = merge_preferences([after])
            shown = (_loggable(merge_preferences([before])), _loggable(merged))
            basis = self.resolver.resolve({}, RequestSignals(), merged).basis()
            return ConsentChange(time.time(), key, *shown, source, version, basis, notice)

        return await self.store.preferences.change(targets, change, log)

    async def _forget(
        self, keys: Sequence[str], destinations: Sequence[str] | None
    ) -> tuple[int, int]:
        """Drop the subject's pending and dead-lettered payloads (an operator may replay a
        dead letter later); returns both counts."""
        erasure = self.store.erasure
        pending = await erasure.forget_pending(keys, destinations)
        return pending, await erasure.forget_dead(keys, destinations)

    # ---------------------------------------------------------- data-subject requests
    def identifier_keys(self, identifier: str) -> list[str]:
        return list(self.keys.for_identifier(identifier))

    async def disclosure(self, identifier: str) -> dict[str, Any]:
        """APPI art. 33 (incl. records of provision to third parties): everything held."""
        keys = self.identifier_keys(identifier)
        store = self.store
        stored = await store.preferences.get_many(keys)
        log = await store.preferences.consent_log(keys)
        records = await store.ledger.query(subject_keys=keys, limit=100_000)
        pending = await store.erasure.pending(keys)
        dead = await store.erasure.dead(keys)
        return {
            "generated_at": time.time(),
            "policy_version": self.config.policy.version,
            "subject_keys": keys,
            "preferences": stored,
            "consent_log": [c.as_dict() for c in log],
            "provision_records": [r.as_dict() for r in records],
            "pending": [_held(item, "pending") for item in pending],
            "dead_lettered": [_held(item, "dead_lettered") for item in dead],
            "recipients": self._recipients(),
        }

    def _recipients(self) -> dict[str, dict[str, Any]]:
        """Who each destination named in the records is: name, role, country."""
        return {
            d.name: {
                "name": d.recipient.name if d.recipient else d.name,
                "role": d.role,
                "country": d.country,
                "contact": d.recipient.contact if d.recipient else "",
            }
            for d in self.config.destinations
        }

    async def correction(self, identifier: str, update: dict[str, Any]) -> dict[str, Any]:
        keys = self.identifier_keys(identifier)
        after = await self._change(keys, update, "dsar")
        return self._view(after, None, False)

    async def deletion(self, identifier: str) -> dict[str, Any]:
        """Preferences, pending deliveries and dedupe keys go; provision records stay, as the
        law requires them kept (APPI art. 30), identified only by the subject key. A
        suppression record stays too: the subject's refusals and suspensions, nothing else,
        so the deletion does not restart what the subject had stopped."""
        keys = self.identifier_keys(identifier)
        store = self.store
        records = await store.ledger.query(subject_keys=keys, limit=100_000)
        pending, dead = await self._forget(keys, None)
        sources = [s.id for s in self.config.sources]
        deduped = await store.erasure.forget_dedupe(sources, [r.message_id for r in records])
        held = await store.preferences.get_many(keys)
        kept = {k: s for k, s in held.items() if suppression_of(merge_preferences([s]))}
        if kept:
            await self._apply(
                list(kept), lambda state: suppression_of(merge_preferences([state])), "deletion"
            )
        removed = await store.preferences.delete([k for k in keys if k not in kept])
        return {
            "preferences_deleted": removed + len(kept),
            "suppression_kept": len(kept),
            "pending_deleted": pending,
            "dead_letters_deleted": dead,
            "dedupe_deleted": deduped,
        }

    async def suspend(self, identifier: str, kind: str, on: bool) -> dict[str, Any]:
        """`use`: events are dropped at the edge; `provision`: accepted, forwarded nowhere."""
        keys = self.identifier_keys(identifier)
        await self._apply(
            keys, lambda state: {**merge_preferences([state]), f"suspend_{kind}": on}, "dsar"
        )
        pending, dead = await self._forget(keys, None) if on else (0, 0)
        return {
            "suspended": kind,
            "active": on,
            "pending_deleted": pending,
            "dead_letters_deleted": dead,
        }


def _held(item: OutboxItem, state: str) -> dict[str, Any]:
    """A payload the gateway holds for the subject and has not provided (yet)."""
    return {
        "state": state,
        "destination": item.destination,
        "message_id": item.message_id,
        "queued_at": item.created_at,
        "country": item.meta.get("country"),
        "purposes": item.meta.get("purposes", []),
        "categories": item.meta.get("categories", []),
        "payload": item.payload,
    }


def _loggable(state: dict[str, Any]) -> dict[str, Any]:
    """The consent log keeps choices only."""
    keys = ("purposes", "vendors", "advertising_id", "suspend_use", "suspend_provision")
    return {k: state[k] for k in keys if k in state}
