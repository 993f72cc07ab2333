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

import re
from collections.abc import Sequence
from typing import Any

import orjson

from gateway.policy.consent.resolver import Consent
from gateway.policy.identifiers import is_zero_id

ATT_KEYS = ("trackingStatus", "attStatus", "adTrackingStatus")
AUTHORIZED = frozenset({"authorized", "3"})
TRACKING_ENABLED = frozenset({"true", "1"})
# What every folded AD_ID_KEYS entry contains: ASCII words, or the first character of the
# Japanese ones. An event whose serialisation holds none of them names no advertising ID.
AD_ID_MARKERS = (b"advertisingid", b"idfa", b"aaid", b"gaid", b"adid", b"oaid", b"adtrackingid")
AD_ID_MARKER_JA = "広".encode()
# Bytes dropped before looking for AD_ID_MARKERS: what `_names_ad_id` folds away in ASCII
# (all but letters and digits), and every byte of a non-ASCII character. The fold keeps a
# non-ASCII letter; dropping it can only join an ASCII word that was not there (a needless
# walk), never hide one.
_FOLDED_OUT = bytes(b for b in range(256) if b >= 128 or not chr(b).isalnum())
_DOTTED_I, _KELVIN = "\u0130".encode(), "\u212a".encode()  # lower case: ASCII i, k
# Every marker holds "id" once: the quick look checks around each "id" in the folded text.
_ID_ENDINGS = tuple(m for m in AD_ID_MARKERS if m.endswith(b"id"))
_ID_STARTS = tuple(m for m in AD_ID_MARKERS if not m.endswith(b"id"))
_ESCAPE = re.compile(rb"\\(?:u[0-9a-f]{4}|.)")  # orjson escapes only '"', '\\' and controls
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
    if _may_hold_more(event, values):
        _purge(event, "", values, removed)
    return removed


def _may_hold_more(event: dict[str, Any], values: set[str]) -> bool:
    """A quick look at the serialised event (C speed) before the walk in Python: most
    events carry no other copy of the ID and no key naming one."""
    try:
        raw = orjson.dumps(event)
    except TypeError:
        return True
    needles = [orjson.dumps(value)[1:-1] for value in values]
    if any(not needle.isascii() or b"\\" in needle for needle in needles):
        return True  # escaped or cased beyond ASCII: left to the walk
    text = _lower(raw)
    if any(needle in text for needle in needles):
        return True
    if AD_ID_MARKER_JA in text:
        return True
    # Fold as `_names_ad_id` does (letters and digits only). An escape (`\n`, `\u0001`)
    # stands for a character the fold drops, so it goes whole.
    plain = _ESCAPE.sub(b"", text) if b"\\" in text else text
    return _holds_marker(plain.translate(None, _FOLDED_OUT))


def _holds_marker(folded: bytes) -> bool:
    """Whether one of AD_ID_MARKERS is in `folded` (one search for "id", not one per marker)."""
    at = folded.find(b"id")
    while at >= 0:
        if folded.startswith(_ID_STARTS, at) or folded.endswith(_ID_ENDINGS, 0, at + 2):
            return True
        at = folded.find(b"id", at + 1)
    return False


def _lower(raw: bytes) -> bytes:
    """`raw` lower-cased as `_names_ad_id` and `_purge` do (Unicode), as far as ASCII needles
    and the fold can tell: bytes.lower() (C speed, ASCII only) is enough unless one of the
    two characters whose lower case is ASCII is there (U+0130 İ → i̇, U+212A Kelvin → k)."""
    if raw.isascii() or (_DOTTED_I not in raw and _KELVIN not in raw):
        return raw.lower()
    return raw.decode().lower().encode()


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
            elif isinstance(value, str) and (cut := _cut_out(value, values)) is not None:
                node[key] = cut  # a value's change, not the dict's size: safe while iterating
                removed.append(where)
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
        for index, item in enumerate(node):
            if isinstance(item, str) and (cut := _cut_out(item, values)) is not None:
                node[index] = cut
                removed.append(f"{path}[{index}]")
            else:
                _purge(item, path, values, removed)


MIN_ID_IN_TEXT = 8  # shorter refused values are not searched for inside other strings


def _cut_out(text: str, values: set[str]) -> str | None:
    """`text` without the refused IDs it contains (a click URL's `idfa=…`, a log line), any
    case; None when it contains none."""
    lowered = text.lower()
    found = [v for v in values if len(v) >= MIN_ID_IN_TEXT and v in lowered]
    if not found:
        return None
    pattern = "|".join(re.escape(v) for v in sorted(found, key=len, reverse=True))
    return re.sub(pattern, "", text, flags=re.IGNORECASE)


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
