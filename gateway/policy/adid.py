"""Advertising identifiers (IDFA / AAID).

Policy, "Customer-controlled settings": customers can refuse the collection of advertising
identifiers on iOS and Android. The device tells us so in three ways, each honoured:
`adTrackingEnabled: false` (Android "opt out of ads personalisation", iOS limit-ad-tracking);
an all-zero ID, which is what iOS 14+ returns when App Tracking Transparency is not
authorized and what Android returns after the user deletes the ID; and the ATT status
itself when the SDK sends it. The customer's own refusal (preference center) and a denied
advertising purpose remove the ID as well. The rest of the event still flows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.policy.consent import Consent
from gateway.policy.identifiers import is_zero_id

ATT_KEYS = ("trackingStatus", "attStatus", "adTrackingStatus")
AUTHORIZED = frozenset({"authorized", "3"})
TRACKING_ENABLED = frozenset({"true", "1"})
# Keys that name an advertising ID, folded (lower-case, letters and digits only).
AD_ID_KEYS = frozenset({
    "advertisingid", "advertisingidentifier", "idfa", "aaid", "gaid", "adid", "gpsadid",
    "googleadid", "googleadvertisingid", "androidadvertisingid", "amazonadvertisingid",
    "fireadid", "oaid", "adtrackingid", "広告id", "広告識別子",
})  # fmt: skip


def refusal_reason(event: dict[str, Any], consent: Consent) -> str | None:
    """Why this event's advertising identifiers must go, or None when they may stay."""
    device = _device(event)
    if _tracking_disabled(device.get("adTrackingEnabled")):
        return "ad_tracking_disabled"
    ad_id = device.get("advertisingId")
    if isinstance(ad_id, str) and is_zero_id(ad_id):
        return "zero_id"
    for place in (device, _section(event, "app"), _section(event, None)):
        for key in ATT_KEYS:
            status = place.get(key)
            if status is not None and str(status).lower() not in AUTHORIZED:
                return "att_not_authorized"
    if consent.advertising_id_refused:
        return "customer_refused"
    if not consent.granted("advertising"):
        return "advertising_denied"
    return None


def _tracking_disabled(value: Any) -> bool:
    """`adTrackingEnabled` is a boolean in the Segment Spec; some SDKs send it as a string or
    0/1. Anything that does not clearly say "enabled" counts as a refusal (fail closed)."""
    if value is None or value is True:
        return False
    return str(value).strip().lower() not in TRACKING_ENABLED


def remove_ad_ids(event: dict[str, Any], paths: Sequence[str]) -> list[str]:
    """Remove the advertising ID wherever it is: the configured paths, keys that name an
    advertising ID anywhere (`idfa`, `gaid`, `adid` … as attribution SDKs send them), and
    any other copy of the same value (an app that also put it in `properties`). Returns
    the paths removed."""
    removed: list[str] = []
    values: set[str] = set()
    for path in paths:
        *parents, leaf = path.split(".")
        node: Any = event
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf in node:
            value = node.pop(leaf)
            if isinstance(value, str) and value.strip():
                values.add(value.strip().lower())
            removed.append(path)
    _purge(event, "", values, removed)
    return removed


def _purge(node: Any, path: str, values: set[str], removed: list[str]) -> None:
    """Drop ad-ID keys and copies of `values` under `node` (two passes would miss copies
    that precede the key naming the ID, so ID keys add to `values` as they are met)."""
    if isinstance(node, dict):
        doomed = []
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if _names_ad_id(key) and not isinstance(value, dict | list):
                if isinstance(value, str) and value.strip():
                    values.add(value.strip().lower())
                doomed.append((key, where))
            elif isinstance(value, str) and value.strip().lower() in values:
                doomed.append((key, where))
            else:
                _purge(value, where, values, removed)
        for key, where in doomed:
            del node[key]
            removed.append(where)
    elif isinstance(node, list):
        keep = [i for i in node if not (isinstance(i, str) and i.strip().lower() in values)]
        if len(keep) != len(node):
            removed.append(f"{path}[]")
            node[:] = keep
        for item in node:
            _purge(item, path, values, removed)


def _names_ad_id(key: str) -> bool:
    return "".join(c for c in key.lower() if c.isalnum()) in AD_ID_KEYS


def _section(event: dict[str, Any], name: str | None) -> dict[str, Any]:
    context = event.get("context")
    if not isinstance(context, dict):
        return {}
    if name is None:
        return context
    section = context.get(name)
    return section if isinstance(section, dict) else {}


def _device(event: dict[str, Any]) -> dict[str, Any]:
    return _section(event, "device")
