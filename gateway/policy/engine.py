"""The policy stage: consent from every signal, forbidden categories removed, advertising
IDs removed when refused. Pure: stored preferences arrive as an argument."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from gateway.config.schema import PolicyFile, SourceConfig
from gateway.policy.consent.adid import refusal_reason, remove_ad_ids
from gateway.policy.consent.resolver import Consent, ConsentResolver, RequestSignals
from gateway.policy.forbidden.detectors.identifiers import IpTruncator
from gateway.policy.forbidden.rules import detector_of
from gateway.policy.forbidden.walk import FORBIDDEN_CATEGORIES, Removal, Scrubber


class Decision:
    """The policy's word on one event. Not a dataclass, so that mypyc compiles its
    `__init__` (see route.router.Verdict)."""

    __slots__ = ("allowed", "consent", "event", "narrower", "removed")

    def __init__(
        self,
        event: dict[str, Any],
        consent: Consent,
        removed: list[Removal] | None = None,
        allowed: frozenset[str] = frozenset(),
        narrower: Callable[[frozenset[str]], dict[str, Any]] | None = None,
    ) -> None:
        self.event = event
        self.consent = consent
        self.removed = removed if removed is not None else []
        self.allowed = allowed
        """Forbidden categories this event may carry (a source's allow_categories with
        consent)."""
        self.narrower = narrower
        """The event with fewer categories allowed, for destinations that declare fewer."""

    def for_purposes(self, purposes: Iterable[str]) -> dict[str, Any]:
        """The event as a destination with these purposes may receive it: an allowed
        category goes only to destinations that name it among their purposes."""
        if not self.allowed or self.narrower is None:
            return self.event
        subset = self.allowed.intersection(purposes)
        return self.event if subset == self.allowed else self.narrower(subset)

    def trace(self) -> dict[str, Any]:
        return {
            "removed": [
                {
                    "path": r.path,
                    "category": r.category,
                    "detector": detector_of(r.rule, r.category),
                    "rule": r.rule,
                }
                for r in self.removed
            ],
            "purposes": {name: d.as_dict() for name, d in self.consent.purposes.items()},
            "suspended_use": self.consent.suspended_use,
            "suspended_provision": self.consent.suspended_provision,
            "vendor_refusals": sorted(self.consent.vendor_refusals),
            "signal_problems": list(self.consent.problems),
        }


class PolicyEngine:
    def __init__(self, policy: PolicyFile, sources: Sequence[SourceConfig]) -> None:
        self.policy = policy
        allowed = frozenset(c for s in sources for c in s.allow_categories)
        self.resolver = ConsentResolver(policy, allowed)
        self.scrubber = Scrubber(
            extra_key_names={str(k): v for k, v in policy.extra_key_names.items()},
            sensitive_query_params=policy.sensitive_query_params,
            ips=IpTruncator(policy.ip.ipv4_prefix, policy.ip.ipv6_prefix),
        )
        # A category the policy does not list as forbidden is never removed.
        self._not_forbidden = frozenset(FORBIDDEN_CATEGORIES) - set(policy.forbidden_categories)
        self._ad_paths = tuple(policy.ad_identifier_fields)

    def evaluate(
        self,
        event: dict[str, Any],
        source: SourceConfig,
        signals: RequestSignals,
        stored: Mapping[str, Any] | None,
    ) -> Decision:
        """Mutates `event` into its sanitized form and returns the decision with its trace."""
        consent = self.resolver.resolve(event, signals, stored, source.child_directed)
        granted = (
            frozenset(c for c in source.allow_categories if consent.granted(c))
            if source.allow_categories
            else frozenset()
        )
        original = copy.deepcopy(event) if granted else None
        removed = self._sanitize(event, consent, granted)
        narrower = None
        if original is not None:
            variants: dict[frozenset[str], dict[str, Any]] = {}

            def narrower(subset: frozenset[str]) -> dict[str, Any]:
                if subset not in variants:
                    variant = variants[subset] = copy.deepcopy(original)
                    self._sanitize(variant, consent, subset)
                return variants[subset]

        return Decision(event, consent, removed, granted, narrower)

    def keeps(self, key: str, value: str) -> bool:
        """Whether the forbidden-data scrub leaves `value` under `key` unchanged: for the
        identifiers the gateway keeps itself (a messageId), judged as any value is."""
        probe: dict[str, Any] = {key: value}
        return not self.scrubber.scrub(probe, self._not_forbidden) and probe.get(key) == value

    def _sanitize(
        self, event: dict[str, Any], consent: Consent, granted: frozenset[str]
    ) -> list[Removal]:
        removed = self.scrubber.scrub(event, granted | self._not_forbidden)
        reason = refusal_reason(event, consent)
        if reason:
            removed += [
                Removal(path, "advertising_id", reason)
                for path in remove_ad_ids(event, self._ad_paths)
            ]
        return removed


def merge_preferences(states: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One state from the preferences stored under a subject's several keys (user ID,
    anonymous ID, advertising ID): a refusal under any key wins."""
    merged: dict[str, Any] = {"purposes": {}, "vendors": {}}
    seen: list[Any] = []
    for state in states:
        if _grants(state):
            seen.append(state.get("seen"))
        for section in ("purposes", "vendors"):
            values = state.get(section)
            if isinstance(values, dict):
                for name, value in values.items():
                    if isinstance(value, bool) and merged[section].get(name) is not False:
                        merged[section][name] = value
        ad_id = state.get("advertising_id")
        if isinstance(ad_id, bool) and merged.get("advertising_id") is not False:
            merged["advertising_id"] = ad_id
        for flag in ("suspend_use", "suspend_provision"):
            if state.get(flag) is True:
                merged[flag] = True
    if seen and _grants(merged):
        merged["seen"] = _common_notice(seen)
    return merged


def _grants(state: Mapping[str, Any]) -> bool:
    return any(
        isinstance(state.get(s), dict) and True in state[s].values()
        for s in ("purposes", "vendors")
    )


def _common_notice(seen: list[Any]) -> dict[str, list[str]]:
    """What every key holding a grant was shown when the choice was made (a key with a
    grant but no record of what it saw — stored before the notice was recorded — saw
    nothing: its grants cover no recipient that needs consent until the subject chooses
    again)."""
    parts: dict[str, set[str]] = {}
    for section in ("purposes", "recipients"):
        sets = [set(s.get(section, [])) if isinstance(s, dict) else set() for s in seen]
        parts[section] = set.intersection(*sets)
    return {k: sorted(v) for k, v in parts.items()}
