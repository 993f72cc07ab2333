"""Per-destination transforms, applied to the projected payload.

`sha256` follows the normalisation ad platforms require before hashing (Meta Conversions API
"customer information parameters", Google enhanced conversions): trim and lower-case;
emails as such; phone numbers as digits only with the country code and no leading zeros.
A value that is already a SHA-256 hex digest is left alone, so nothing is hashed twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from ipaddress import IPv4Address
from typing import Any

from gateway.config.schema import Rename
from gateway.enrich.ip import parse_ip, truncate_address

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
    """Hashes every value under `path`: list items one by one, an object leaf by leaf
    (an object named for hashing must not pass in the clear)."""
    if isinstance(value, list):
        return [sha256_value(v, path, home_calling_code) for v in value]
    if isinstance(value, dict):
        return {k: sha256_value(v, f"{path}.{k}", home_calling_code) for k, v in value.items()}
    if value is None or isinstance(value, bool):
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
        ipv4_prefix: int | None = 24,
        ipv6_prefix: int | None = 48,
    ) -> None:
        self._steps = [(path.split("."), step) for path, step in transforms.items()]
        self._calling_code = home_calling_code
        self._prefixes = (ipv4_prefix, ipv6_prefix)

    def __bool__(self) -> bool:
        return bool(self._steps)

    def apply(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Transforms run on the projected copy, copying each container they change: the
        projection shares values with the caller's event, which must not be touched.
        Arrays are transparent, as in the projection: a step applies to every element."""
        for keys, step in self._steps:
            if isinstance(step, Rename):
                payload = _rename(payload, keys, step.rename.split("."))
            else:
                edited = _edit(payload, keys, self._editor(step, ".".join(keys)))
                payload = {} if edited is _REMOVE else edited
        return payload

    def _editor(self, step: str, path: str) -> Callable[[Any], Any]:
        if step == "drop":
            return lambda value: _REMOVE
        if step == "sha256":
            return lambda value: sha256_value(value, path, self._calling_code)
        return self._truncate

    def _truncate(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in map(self._truncate, value) if v is not _REMOVE]
        address = parse_ip(value) if isinstance(value, str) else None
        if address is None:
            return _REMOVE
        prefix = self._prefixes[0 if isinstance(address, IPv4Address) else 1]
        # A prefix of None is the policy saying "remove this IP family" (policy.yaml ip).
        return _REMOVE if prefix is None else truncate_address(address, *self._bounded())

    def _bounded(self) -> tuple[int, int]:
        ipv4, ipv6 = self._prefixes
        return (32 if ipv4 is None else ipv4, 128 if ipv6 is None else ipv6)


_REMOVE: Any = object()


def _edit(node: Any, keys: list[str], change: Callable[[Any], Any]) -> Any:
    """`node` with `change` applied at `keys` (through arrays), as a new container wherever
    something changed. A container the change leaves empty is removed with it."""
    if isinstance(node, list):
        items = [_edit(item, keys, change) for item in node]
        return [item for item in items if item is not _REMOVE]
    if not isinstance(node, dict) or keys[0] not in node:
        return node
    out = dict(node)
    value = change(node[keys[0]]) if len(keys) == 1 else _edit(node[keys[0]], keys[1:], change)
    if value is _REMOVE or (value in ({}, []) and node[keys[0]] not in ({}, [])):
        del out[keys[0]]
    else:
        out[keys[0]] = value
    return out if out or not node else _REMOVE


def _rename(payload: dict[str, Any], keys: list[str], target: list[str]) -> dict[str, Any]:
    """Moves the value at `keys` (through objects only) to `target`, copying every object on
    both paths."""
    node: Any = payload
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return payload
        node = node[key]
    out = _edit(payload, keys, lambda _: _REMOVE)
    out = {} if out is _REMOVE else out
    parent = out
    for key in target[:-1]:
        child = parent.get(key)
        parent[key] = dict(child) if isinstance(child, dict) else {}
        parent = parent[key]
    parent[target[-1]] = node
    return out
