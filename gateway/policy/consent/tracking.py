"""What an event says about the device's tracking setting and the person's age: App Tracking
Transparency status, limit-ad-tracking, and a child marker in the consent context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ATT_KEYS = ("trackingStatus", "attStatus", "adTrackingStatus")
AUTHORIZED = frozenset({"authorized", "3"})
TRACKING_ENABLED = frozenset({"true", "1"})


def tracking_refusal(event: Mapping[str, Any]) -> str | None:
    """ "att_not_authorized" or "limit_ad_tracking" when the device refuses tracking; None
    when it allows it or says nothing (silence is not a refusal)."""
    context = _object(event.get("context"))
    device = _object(context.get("device"))
    enabled = device.get("adTrackingEnabled")
    if enabled not in (None, True) and str(enabled).strip().lower() not in TRACKING_ENABLED:
        return "limit_ad_tracking"
    for place in (device, _object(context.get("app")), context):
        for key in ATT_KEYS:
            status = place.get(key)
            if status is not None and str(status).lower() not in AUTHORIZED:
                return "att_not_authorized"
    return None


def is_child(consent: Mapping[str, Any], child_age: int) -> bool:
    """`context.consent.child: true`, or `context.consent.age` under the policy's child age.
    An age that is not a number says nothing."""
    if consent.get("child") is True:
        return True
    age = consent.get("age")
    return isinstance(age, int | float) and not isinstance(age, bool) and age < child_age


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
