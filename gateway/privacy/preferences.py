"""Customer preferences: what a person may change, how a change applies to the stored
state, and what the person is shown. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gateway.errors import BadRequest
from gateway.policy.consent.resolver import Consent

UPDATE_KEYS = frozenset({"purposes", "advertising_id", "vendors"})


def choosable_purposes(purposes: Iterable[str]) -> list[str]:
    """Every declared purpose but `service`: providing the service itself cannot be refused
    while using it (policy, "Purpose of use" (1))."""
    return [p for p in purposes if p != "service"]


def parse_update(body: Any, purposes: Iterable[str], vendors: Iterable[str]) -> dict[str, Any]:
    """A validated partial update; raises Refused(400) naming the first problem."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = sorted(set(body) - UPDATE_KEYS)
    if unknown:
        raise BadRequest(f'unknown key "{unknown[0]}" (allowed: purposes, advertising_id, vendors)')
    update: dict[str, Any] = {}
    for section, names in (("purposes", list(purposes)), ("vendors", list(vendors))):
        if section in body:
            update[section] = _choices(body[section], section, names)
    if "advertising_id" in body:
        if not isinstance(body["advertising_id"], bool):
            raise BadRequest("advertising_id: must be true or false")
        update["advertising_id"] = body["advertising_id"]
    return update


def _choices(value: Any, section: str, names: list[str]) -> dict[str, bool]:
    if not isinstance(value, dict):
        raise BadRequest(f"{section}: must be an object of name: true/false")
    for name, choice in value.items():
        if name not in names:
            raise BadRequest(f"{section}.{name}: not one you can choose ({', '.join(names)})")
        if not isinstance(choice, bool):
            raise BadRequest(f"{section}.{name}: must be true or false")
    return dict(value)


def apply_update(state: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """The new state: omitted keys stay as they were."""
    new = {k: (dict(v) if isinstance(v, dict) else v) for k, v in state.items()}
    for section in ("purposes", "vendors"):
        if section in update:
            new[section] = {**new.get(section, {}), **update[section]}
    if "advertising_id" in update:
        new["advertising_id"] = update["advertising_id"]
    return new


def only_refusals(update: Mapping[str, Any]) -> dict[str, Any]:
    """The "no"s in an update (refusing a purpose, a vendor or the advertising ID)."""
    out: dict[str, Any] = {}
    for section in ("purposes", "vendors"):
        refused = {k: False for k, v in update.get(section, {}).items() if v is False}
        if refused:
            out[section] = refused
    if update.get("advertising_id") is False:
        out["advertising_id"] = False
    return out


def suppression_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """What a deletion keeps: the subject's refusals and suspensions, nothing else. Deleting
    them would make the subject fall back to the defaults and restart the very tracking they
    refused (policy section 4; APPI art. 35: a request to stop use must keep working)."""
    kept = only_refusals(state)
    for flag in ("suspend_use", "suspend_provision"):
        if state.get(flag) is True:
            kept[flag] = True
    return kept


def view(
    consent: Consent,
    state: Mapping[str, Any],
    purposes: Iterable[str],
    vendors: Iterable[str],
    policy_version: str,
) -> dict[str, Any]:
    """What the person sees: the effective choice per purpose and which signal decided it."""
    names = list(purposes)
    return {
        "purposes": {p: consent.granted(p) for p in names},
        "decided_by": {p: consent.purposes[p].signal for p in names if p in consent.purposes},
        "advertising_id": state.get("advertising_id") is not False,
        "vendors": {v: v not in consent.vendor_refusals for v in vendors},
        "suspended": {
            "use": state.get("suspend_use") is True,
            "provision": state.get("suspend_provision") is True,
        },
        "policy_version": policy_version,
    }


def refused_destinations(
    state: Mapping[str, Any], destinations: Mapping[str, Iterable[str]]
) -> list[str]:
    """Destinations this state no longer allows (explicit purpose or vendor refusals)."""
    purposes = state.get("purposes", {}) if isinstance(state.get("purposes"), dict) else {}
    vendors = state.get("vendors", {}) if isinstance(state.get("vendors"), dict) else {}
    return [
        name
        for name, needs in destinations.items()
        if vendors.get(name) is False or any(purposes.get(p) is False for p in needs)
    ]
