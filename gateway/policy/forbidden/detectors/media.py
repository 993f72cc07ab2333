"""Photos and videos written as raw bytes in a programming language's notation.

Privacy policy, 1.: "photos and videos saved on your device" are not collected. A file may
arrive as Python's `b'\\xff\\xd8…'`, C's `\\xff\\xd8…`, Node's `<Buffer ff d8 …>`, Go's
`[]byte{0xff, …}`, Swift's `Data(bytes: [0xFF, …])`, Java's `new byte[]{-1, -40, …}`,
Kotlin's `byteArrayOf(-1, …)` or a plain hex dump: the head is read back to bytes once and
judged by its magic number (`media.media_magic`: JPEG, PNG, GIF, WebP, HEIC/AVIF, MP4/MOV …).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from gateway.policy.forbidden.shapes.media import media_magic

HEAD = 32  # bytes read back from a notation: enough for every magic number we know
_ESCAPED = re.compile(r"(?:\\x[0-9a-fA-F]{2}|\\[rnt0'\"\\]|[ -\[\]-~])", re.ASCII)
_HEX_RUN = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?([0-9a-fA-F]{2})(?![0-9A-Za-z])", re.ASCII)
_HEX_LIST = re.compile(
    r"(?:(?:0[xX])?[0-9a-fA-F]{2}[\s,]+){7,}(?:0[xX])?[0-9a-fA-F]{2}(?![0-9A-Za-z])",
    re.ASCII,
)
_INT_LIST = re.compile(r"(?:-?\d{1,3}\s*,\s*){7,}-?\d{1,3}", re.ASCII)
_LIST_RUN = re.compile(r"[0-9a-fA-FxX,\s\-]{15}")
_SIMPLE = {"r": 13, "n": 10, "t": 9, "0": 0, "'": 39, '"': 34, "\\": 92}


def notation_prefilter(text: str) -> bool:
    """True of every text a reader gets bytes from: escapes, a hex or decimal list within
    the first 40 characters, or a binary string (NUL or latin-1 characters, or `%`)."""
    if len(text) < 12:
        return False
    head = text[:HEAD]
    if "\\x" in text[:64] or "%" in text or "\x00" in head or not head.isascii():
        return True
    # A hex or decimal list of 8 bytes is a run of at least 15 characters from this class
    # ("1,2,3,4,5,6,7,8") starting in the first 40.
    return _LIST_RUN.search(text, 0, 120) is not None


def notation(text: str) -> str | None:
    """The bytes a notation writes start like a photo or video."""
    if len(text) < 12:
        return None
    for reader in (_escaped, _hex_list, _int_list, _binary_string):
        head = reader(text[:400])
        if head is not None and len(head) >= 12 and media_magic(head):
            return "bytes_notation"
    return None


def _binary_string(text: str) -> bytes | None:
    """A "binary string" (JavaScript's readAsBinaryString, latin-1 text): one character per
    byte, as written or percent-encoded (`encodeURIComponent` writes ÿ as %C3%BF)."""
    if "%" in text[: HEAD * 9]:
        text = unquote(text[: HEAD * 9])
    head = text[:HEAD]
    if not head or max(head) > "\xff" or (head.isascii() and "\x00" not in head):
        return None
    return head.encode("latin-1")


def _escaped(text: str) -> bytes | None:
    """Python bytes literals and C/JS escapes: `b'\\xff\\xd8…'`, `\\xff\\xd8…`."""
    if text[:2] in ("b'", 'b"') and "\\x" in text[:64]:
        start = 2  # a Python literal may open with printable bytes (`b'GIF89a\\x01…`)
    else:
        start = text.find("\\x")
        if start < 0 or start > 3:
            return None
    out = bytearray()
    for match in _ESCAPED.finditer(text, start):
        token = match.group(0)
        if token.startswith("\\x"):
            out.append(int(token[2:], 16))
        elif token[0] == "\\":
            out.append(_SIMPLE[token[1]])
        else:
            out.append(ord(token))
        if len(out) >= HEAD:
            break
    return bytes(out)


def _hex_list(text: str) -> bytes | None:
    """Hex bytes separated by spaces or commas, with or without `0x`."""
    match = _HEX_LIST.search(text)
    if match is None or match.start() > 40:
        return None
    return bytes(int(m.group(1), 16) for m in _HEX_RUN.finditer(match.group(0)))[:HEAD]


def _int_list(text: str) -> bytes | None:
    """Decimal bytes, signed (Java, Kotlin) or not (JavaScript, C#)."""
    match = _INT_LIST.search(text)
    if match is None or match.start() > 40:
        return None
    values = [int(v) for v in match.group(0).split(",")[:HEAD]]
    if any(v < -128 or v > 255 for v in values):
        return None
    return bytes(v & 0xFF for v in values)
