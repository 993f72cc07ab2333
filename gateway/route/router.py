"""Per destination, in order: provision allowed → purposes granted → vendor allowed →
event filter → allow-list projection → transforms → the adapter's wire format.
Pure: everything arrives as arguments; the result says what to send and why not."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

from gateway.config.schema import DestinationConfig, PolicyFile
from gateway.policy.consent.resolver import Consent
from gateway.route.datacategories import categories_of_payload
from gateway.route.projection import Projection
from gateway.route.transforms import CALLING_CODES, Transformer

Formatter = Callable[[dict[str, Any]], dict[str, Any]]
NAMED_TYPES = {"track": "event", "page": "name", "screen": "name"}
VerdictCode = Literal[
    "sent",
    "provision_suspended",
    "purpose_not_granted",
    "vendor_refused",
    "tcf_vendor",
    "no_prior_consent",
    "review_required",
    "child",
    "event_filter",
    "nothing_allowed",
]

Refusal = tuple[VerdictCode, str]
MEMO_SIZE = 256
NAME_CACHE_SIZE = 4096
MAX_REMEMBERED_NAME = 200  # longer event names are matched every time, not kept


class Verdict:
    """One destination's verdict on one event: `code` is the fixed reason (metric labels,
    the console), `reason` the sentence a person reads. Read-only. A class with its own
    `__init__`, not a dataclass: mypyc compiles this one, while a dataclass's generated
    `__init__` runs as plain Python (0.8 µs, for each destination of each event)."""

    __slots__ = ("categories", "code", "destination", "payload", "reason", "send")

    def __init__(
        self,
        destination: str,
        send: bool,
        code: VerdictCode,
        reason: str,
        payload: dict[str, Any] | None = None,
        categories: tuple[str, ...] = (),
    ) -> None:
        self.destination: Final = destination
        self.send: Final = send
        self.code: Final = code
        self.reason: Final = reason
        self.payload: Final = payload
        self.categories: Final = categories

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Verdict) and self._fields() == other._fields()

    def __repr__(self) -> str:
        return f"Verdict(destination={self.destination!r}, send={self.send}, code={self.code!r})"

    def _fields(self) -> tuple[Any, ...]:
        return (self.destination, self.send, self.code, self.reason, self.payload,
                self.categories)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"destination": self.destination, "send": self.send}
        out["code"] = self.code
        out["reason"] = self.reason
        if self.payload is not None:
            out["payload"] = self.payload
            out["categories"] = list(self.categories)
        return out


def idempotency_key(message_id: str, destination: str) -> str:
    """Stable for a (messageId, destination) pair: across retries, replays and client resends."""
    digest = hashlib.sha256(f"{message_id}\x1f{destination}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def idempotency_keys(message_id: str, destinations: Sequence[str]) -> list[str]:
    """`idempotency_key` for each destination, the message ID hashed once."""
    head = hashlib.sha256(f"{message_id}\x1f".encode())
    keys = []
    for destination in destinations:
        digest = head.copy()
        digest.update(destination.encode())
        keys.append(f"msg_{digest.hexdigest()[:32]}")
    return keys


class _Patterns:
    """`events.types` or `events.names` compiled once: `*` admits all, plain names are a
    set, globs one regular expression (fnmatch's rules, case-sensitive)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.any = "*" in patterns
        self._plain = frozenset(p for p in patterns if not _is_glob(p))
        globs = [fnmatch.translate(p) for p in patterns if _is_glob(p)]
        self._globs = re.compile("|".join(globs)) if globs else None
        self._seen: dict[str, bool] = {}

    def admit(self, value: str) -> bool:
        if self.any or value in self._plain:
            return True
        if self._globs is None:
            return False
        seen = self._seen.get(value)
        if seen is None:
            seen = self._globs.match(value) is not None
            if len(value) <= MAX_REMEMBERED_NAME:
                if len(self._seen) >= NAME_CACHE_SIZE:
                    self._seen.clear()
                self._seen[value] = seen
        return seen


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


class _Rule:
    def __init__(self, config: DestinationConfig, formatter: Formatter, policy: PolicyFile) -> None:
        self.config = config
        self.name = config.name
        self.purposes = tuple(config.purposes)
        self.projection = Projection(config.fields)
        calling_code = CALLING_CODES.get(policy.transfers.home_country, "")
        self.transformer = Transformer(
            config.transforms,
            calling_code,
            policy.ip.ipv4_prefix,
            policy.ip.ipv6_prefix,
        )
        self.format = formatter
        self.types = _Patterns(config.events.types)
        self.names = _Patterns(config.events.names)

    def matches(self, event: dict[str, Any]) -> Refusal | None:
        """None when the event filter lets it through, else the reason it does not."""
        event_type = event.get("type", "")
        event_type = event_type if isinstance(event_type, str) else str(event_type)
        if not self.types.admit(event_type):
            return "event_filter", f'event type "{event_type}" is not in events.types'
        if self.names.any or event_type not in NAMED_TYPES:
            return None
        name = event.get(NAMED_TYPES[event_type])
        if not self.names.admit(name if isinstance(name, str) else ""):
            return "event_filter", "event name is not in events.names"
        return None


class Router:
    def __init__(
        self,
        destinations: Sequence[DestinationConfig],
        formatters: Mapping[str, Formatter],
        policy: PolicyFile,
        reads: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """`reads`: per destination, the event fields its adapter's wire format carries
        (absent: all of them); the ledger's categories are those of what was sent."""
        self._rules = [
            _Rule(d, formatters.get(d.name, _identity), policy) for d in destinations if d.enabled
        ]
        self._opt_out_registered = policy.third_party_basis == "opt_out"
        self._reads = {name: Projection(list(paths)) for name, paths in (reads or {}).items()}
        self._memo: dict[int, tuple[Consent, tuple[Refusal | None, ...]]] = {}

    @property
    def destinations(self) -> list[DestinationConfig]:
        return [rule.config for rule in self._rules]

    def route(
        self,
        event: dict[str, Any],
        consent: Consent,
        for_purposes: Callable[[Sequence[str]], dict[str, Any]] | None = None,
    ) -> list[Verdict]:
        """`for_purposes` gives the event as seen by a destination with those purposes
        (an allowed forbidden category reaches only destinations that declare it)."""
        verdicts = []
        for rule, refusal in zip(self._rules, self._refusals(consent), strict=True):
            seen = for_purposes(rule.purposes) if for_purposes is not None else event
            refusal = refusal or rule.matches(seen)
            if refusal is not None:
                verdicts.append(Verdict(rule.name, False, *refusal))
            else:
                verdicts.append(self._deliver(rule, seen))
        return verdicts

    def _refusals(self, consent: Consent) -> tuple[Refusal | None, ...]:
        """Each rule's refusal by consent and recipient: a function of the consent alone,
        and most events share one of a few consents (the resolver's), so it is kept per
        consent object (held, so that its id is not reused)."""
        memo = self._memo.get(id(consent))
        if memo is not None and memo[0] is consent:
            return memo[1]
        refusals = tuple(
            _consent_refusal(rule.config, consent)
            or self._recipient_refusal(rule.config, consent)
            for rule in self._rules
        )
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[id(consent)] = (consent, refusals)
        return refusals

    def _deliver(self, rule: _Rule, event: dict[str, Any]) -> Verdict:
        name = rule.name
        projected = rule.projection.apply(event)
        if rule.transformer:
            projected = rule.transformer.apply(projected)
        if not projected:
            return Verdict(
                name, False, "nothing_allowed", "no allowed field is present in this event"
            )
        payload = rule.format(projected)
        reads = self._reads.get(name)
        sent = reads.apply(projected) if reads is not None else projected
        return Verdict(name, True, "sent", "sent", payload, categories_of_payload(sent))

    def _recipient_refusal(self, config: DestinationConfig, consent: Consent) -> Refusal | None:
        """Policy, "Matters concerning provision to third parties": no provision to a third
        party without the subject's prior consent. A processor (outsourcing, APPI art.
        27(5)(i)) is not a third party; a joint user is, for this purpose."""
        if config.role == "processor":
            return None
        if consent.child:
            return "child", f"a child's data goes to no {config.role} recipient"
        if self._opt_out_registered:
            return None
        for purpose in config.purposes:
            if not consent.explicitly_granted(purpose):
                decision = consent.purposes.get(purpose)
                basis = decision.basis if decision else "undeclared"
                return (
                    "no_prior_consent",
                    f'purpose "{purpose}" has no prior consent (basis {basis}); '
                    f"{config.role} recipients need an explicit grant",
                )
        stored = any(consent.purposes[p].signal == "preferences" for p in config.purposes)
        reviewed = consent.reviewed
        if stored and reviewed is not None and config.notice_key() not in reviewed:
            return (
                "review_required",
                "the subject's stored choice predates this recipient; it waits for their choice",
            )
        return None


def _consent_refusal(config: DestinationConfig, consent: Consent) -> Refusal | None:
    if consent.suspended_provision:
        return "provision_suspended", "provision to third parties is suspended for this subject"
    for purpose in config.purposes:
        decision = consent.purposes.get(purpose)
        if decision is None or not decision.granted:
            signal = decision.signal if decision else "undeclared"
            return "purpose_not_granted", f'purpose "{purpose}" not granted (decided by {signal})'
    if config.name in consent.vendor_refusals:
        return "vendor_refused", "the customer refused this vendor"
    vendor = config.tcf_vendor_id
    if vendor is not None and consent.tcf is not None and vendor not in consent.tcf.vendor_consents:
        return "tcf_vendor", f"TCF string gives no consent to vendor {vendor}"
    return None


def _identity(event: dict[str, Any]) -> dict[str, Any]:
    return event
