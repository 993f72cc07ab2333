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


def refusal_reason(event: dict[str, Any], consent: Consent) -> str | None:
    """Why this event's advertising identifiers must go, or None when they may stay."""
    device = _device(event)
    if _tracking_disabled(device.get("adTrackingEnabled")):
        return "ad_tracking_disabled"
    ad_id = device.get("advertisingId")
    if isinstance(ad_id, str) and is_zero_id(ad_id):
        return "zero_id"
    for key in ATT_KEYS:
        status = device.get(key)
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
    """Delete each dotted path that exists; returns the paths removed."""
    removed = []
    for path in paths:
        *parents, leaf = path.split(".")
        node: Any = event
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf in node:
            del node[leaf]
            removed.append(path)
    return removed


def _device(event: dict[str, Any]) -> dict[str, Any]:
    context = event.get("context")
    device = context.get("device") if isinstance(context, dict) else None
    return device if isinstance(device, dict) else {}
