"""Fail closed on what cannot be read: a long opaque value that decodes to nothing judged.

Privacy policy, 1.: photos, messages, contacts and GPS fixes are not collected, and an app
could hide any of them in an encoding we do not read (encrypted, compressed another way, a
proprietary container). A long base64 or hex value whose bytes are neither text nor a format
the other recognisers judge is removed under its own rule, counted and explained like any
removal. IDs, digests and tokens are far shorter than the threshold.
"""

from __future__ import annotations

import base64
import binascii
import re

MIN_OPAQUE = 256  # characters: 192 bytes of base64, 128 of hex; digests and tokens are shorter
_BASE64 = re.compile(r"[A-Za-z0-9+/_\-\r\n]+={0,2}", re.ASCII)
_HEX = re.compile(r"[0-9a-fA-F]+", re.ASCII)


def opaque_prefilter(text: str) -> bool:
    return len(text) >= MIN_OPAQUE and _BASE64.fullmatch(text, 0, len(text)) is not None


def opaque(text: str) -> str | None:
    """Bytes that are not UTF-8 text (text is read and judged by the other recognisers)."""
    if not opaque_prefilter(text):
        return None
    raw = _decode(text)
    if raw is None:
        return None
    try:
        raw[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "undecodable_binary"
    return None


def _decode(text: str) -> bytes | None:
    compact = text.replace("\r", "").replace("\n", "")
    try:
        if _HEX.fullmatch(compact) is not None and len(compact) % 2 == 0:
            return bytes.fromhex(compact[:8192])
        chunk = compact[:8192].rstrip("=")
        chunk = chunk[: len(chunk) - len(chunk) % 4]
        return base64.b64decode(chunk.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
