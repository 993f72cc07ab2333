"""Per-destination transforms, applied to the projected payload.

`sha256` follows the normalisation ad platforms require before hashing (Meta Conversions API
"customer information parameters", Google enhanced conversions): trim and lower-case;
emails as such; phone numbers as digits only with the country code and no leading zeros.
A value that is already a SHA-256 hex digest is left alone, so nothing is hashed twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from gateway.config.schema import Rename
from gateway.enrich.ip import truncate_ip

HEX64 = re.compile(r"^[0-9a-f]{64}$")
PHONE = re.compile(r"^\+?[\d\s().\-/]{6,24}$")
NON_DIGITS = re.compile(r"\D")
# Calling codes for the home/transfer countries and other common ones.
CALLING_CODES = {
    "JP": "81", "US": "1", "CA": "1", "AU": "61", "PH": "63", "KR": "82", "TW": "886",
    "GB": "44", "DE": "49", "FR": "33", "CN": "86", "HK": "852", "SG": "65", "IN": "91",
}  # fmt: skip


def normalise_phone(value: str, home_calling_code: str) -> str:
    digits = NON_DIGITS.sub("", value)
    stripped = value.strip()
    if stripped.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return home_calling_code + digits.lstrip("0")
    return digits


def normalise(value: str, path: str, home_calling_code: str) -> str:
    text = value.strip()
    if "@" in text:
        return text.lower()
    if "phone" in path.lower() or PHONE.match(text):
        return normalise_phone(text, home_calling_code)
    return text.lower()


def sha256_value(value: Any, path: str, home_calling_code: str) -> Any:
    if isinstance(value, list):
        return [sha256_value(v, path, home_calling_code) for v in value]
    if value is None or isinstance(value, (dict, bool)):
        return value
    text = str(value)
    if HEX64.match(text.strip().lower()):
        return text.strip().lower()
    normalised = normalise(text, path, home_calling_code)
    return hashlib.sha256(normalised.encode()).hexdigest()


class Transformer:
    def __init__(
        self,
        transforms: Mapping[str, str | Rename],
        home_calling_code: str,
        ipv4_prefix: int = 24,
        ipv6_prefix: int = 48,
    ) -> None:
        self._steps = [(path.split("."), step) for path, step in transforms.items()]
        self._calling_code = home_calling_code
        self._prefixes = (ipv4_prefix, ipv6_prefix)

    def __bool__(self) -> bool:
        return bool(self._steps)

    def apply(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Transforms run on the projected copy; the caller's event is not touched."""
        for keys, step in self._steps:
            self._apply_one(payload, keys, step)
        return payload

    def _apply_one(self, payload: dict[str, Any], keys: list[str], step: str | Rename) -> None:
        parent = _parent(payload, keys)
        if parent is None or keys[-1] not in parent:
            return
        leaf = keys[-1]
        if step == "drop":
            del parent[leaf]
        elif step == "sha256":
            parent[leaf] = sha256_value(parent[leaf], ".".join(keys), self._calling_code)
        elif step == "truncate_ip":
            value = parent[leaf]
            truncated = truncate_ip(value, *self._prefixes) if isinstance(value, str) else None
            if truncated is None:
                del parent[leaf]
            else:
                parent[leaf] = truncated
        elif isinstance(step, Rename):
            value = parent.pop(leaf)
            *target_parents, target_leaf = step.rename.split(".")
            node = payload
            for key in target_parents:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = node[key] = {}
                node = child
            node[target_leaf] = value


def _parent(payload: dict[str, Any], keys: list[str]) -> dict[str, Any] | None:
    """The dict holding the last key, copying each level so shared values are not mutated."""
    node = payload
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            return None
        child = dict(child)
        node[key] = child
        node = child
    return node
