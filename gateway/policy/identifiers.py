"""Subject keys: keyed hashes (HMAC-SHA256 with the gateway key) of the identifiers an
event carries. Stores and the ledger hold only these keys, never the raw identifiers; the
privacy office finds a subject's records by hashing the identifier it was given."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

PREFIXES = {"user": "u", "anon": "a", "adid": "d", "message": "m"}
CACHE_SIZE = 65_536
MAX_CACHED_IDENTIFIER = 256


class SubjectKeys:
    def __init__(self, key: bytes) -> None:
        self._key = key
        # A visitor's events repeat its identifiers: their keys are remembered, in this
        # process's memory only, bounded (emptied when full), never written anywhere.
        self._known: dict[str, str] = {}

    def key(self, kind: str, value: str) -> str:
        message = f"{kind}:{value}"
        known = self._known.get(message)
        if known is not None:
            return known
        found = self.digest(kind, value)
        if len(message) <= MAX_CACHED_IDENTIFIER:
            if len(self._known) >= CACHE_SIZE:
                self._known.clear()
            self._known[message] = found
        return found

    def digest(self, kind: str, value: str) -> str:
        """The keyed digest itself, remembered nowhere: for a value seen once (a messageId
        the policy would not keep), which must not linger even in memory."""
        message = f"{kind}:{value}"
        digest = hmac.digest(self._key, message.encode(), hashlib.sha256).hex()
        return f"{PREFIXES[kind]}_{digest[:40]}"

    def for_event(self, event: dict[str, Any]) -> tuple[str, ...]:
        """Keys for userId, anonymousId and advertising ID, in that order (those present).
        The first is the event's primary subject key."""
        keys = []
        user_id = event.get("userId")
        if isinstance(user_id, str) and user_id:
            keys.append(self.key("user", user_id))
        anonymous_id = event.get("anonymousId")
        if isinstance(anonymous_id, str) and anonymous_id:
            keys.append(self.key("anon", anonymous_id))
        ad_id = advertising_id(event)
        if ad_id:
            keys.append(self.key("adid", ad_id.lower()))
        return tuple(keys)

    def is_advertising(self, subject_key: str) -> bool:
        return subject_key.startswith(PREFIXES["adid"] + "_")

    def for_identifier(self, value: str) -> tuple[str, ...]:
        """Every key an identifier of unknown kind could have (userId, anonymousId or ad ID)."""
        keys = (self.key("user", value), self.key("anon", value))
        return keys if is_zero_id(value) else (*keys, self.key("adid", value.lower()))


def advertising_id(event: dict[str, Any]) -> str | None:
    """The event's advertising ID, or None when absent or all zeros (which is no ID)."""
    context = event.get("context")
    device = context.get("device") if isinstance(context, dict) else None
    value = device.get("advertisingId") if isinstance(device, dict) else None
    return value if isinstance(value, str) and value and not is_zero_id(value) else None


def is_zero_id(value: str) -> bool:
    """An all-zero IDFA/AAID: what iOS returns without ATT authorization and Android after the
    user deletes the ID. Every such device sends the same value, so it identifies nobody and
    must never become a subject key (one person's stored choice would apply to them all)."""
    return "0" in value and not value.strip("0-")
