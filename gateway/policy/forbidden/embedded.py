"""Structures written into a string, to be scanned like the event: JSON (also with trailing
whitespace), a Python dict or list as `repr` prints it, base64url JSON (a JWT's parts, a `state`
parameter) and values percent-encoded twice; and text encoded once more (`decode_text`).

Every decoder is bounded: a string is parsed once per level, and each level is shorter than the
one holding it, so the scan stays linear in the event's size.
"""

from __future__ import annotations

import ast
import binascii
import codecs
import re
import zlib
from typing import Any
from urllib.parse import unquote_plus

import orjson

MAX_REPR = 16_384  # longest text tried as a Python literal (ast is slower than orjson)
MAX_BASE64_JSON = 65_536
MAX_DECODES = 2  # extra rounds of percent-decoding
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_BASE64_JSON = ("eyJ", "W3s", "WyJ")  # base64 of '{"', '[{', '["'
MIN_BASE64_TEXT = 12
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")  # either alphabet, padded or not
_ZLIB_LEVELS = (b"\x01", b"\x5e", b"\x9c", b"\xda")
_TEXT_CONTROLS = frozenset("\n\r\t")
_REPLACED = "\ufffd"  # what a replacing decode puts for bytes that are not UTF-8
_REPLACED_UTF8 = _REPLACED.encode()


def starts_structure(text: str) -> bool:
    """Cheap test whether `parse` may find something."""
    first = text[0]
    if first in "{[":
        return text.rstrip()[-1:] in ("}", "]")
    return first in "eW" and text.startswith(_BASE64_JSON)


def parse(text: str) -> Any:
    """The dict or list `text` holds, or None."""
    if text[0] in "{[":
        return _literal(text.rstrip())
    if len(text) <= MAX_BASE64_JSON:
        return _base64_json(text)
    return None


def _literal(text: str) -> Any:
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError:
        found = None
        if "'" in text and len(text) <= MAX_REPR:
            found = _python_literal(text)
    return found if isinstance(found, dict | list) and found else None


def _python_literal(text: str) -> Any:
    """A dict or list as Python prints it, made JSON's types (string keys, lists for tuples
    and sets, text for bytes and numbers JSON lacks), so the walk sees what it always sees."""
    try:
        found = ast.literal_eval(text)
        return orjson.loads(orjson.dumps(found, default=_jsonable, option=orjson.OPT_NON_STR_KEYS))
    except (
        ValueError,
        SyntaxError,
        TypeError,
        MemoryError,
        RecursionError,
        orjson.JSONEncodeError,
    ):
        return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _base64_json(text: str) -> Any:
    """The JSON of each base64url segment (`eyJ…`, or `eyJ….eyJ….sig` for a JWT)."""
    found = []
    for segment in text.split(".", 3)[:2]:
        if not segment.startswith(_BASE64_JSON):
            continue
        raw = _decode(segment)
        if raw is not None and raw[:1] in (b"{", b"["):
            try:
                found.append(orjson.loads(raw))
            except orjson.JSONDecodeError:
                continue
    return found or None


def _decode(segment: str) -> bytes | None:
    segment = segment.replace("-", "+").replace("_", "/")
    segment += "=" * (-len(segment) % 4)
    try:
        return binascii.a2b_base64(segment, strict_mode=True)
    except ValueError:  # binascii.Error, or a non-ASCII string
        return None


def decode_again(value: str) -> str:
    """A value still percent-encoded after the URL's own decoding (`https%3A%2F%2F…` inside a
    `return_to` that was encoded twice), decoded until it is not, at most twice more."""
    for _ in range(MAX_DECODES):
        if "%" not in value or _PERCENT.search(value) is None:
            break
        value = unquote_plus(value)
    return value


def decode_text(text: str) -> str | None:
    """The text `text` encodes once more, or None: a JSON string literal (a JSON text encoded
    twice), percent-encoding (`lat%3D35.68%26…`, `+` read as a space as forms write it),
    base64 or base64url of UTF-8 text (padded or not, wrapped in lines or not), gzip or zlib
    in base64 (`H4sI…`, `eJ…`). Binary that only looks like base64 (ids, hashes, tokens)
    decodes to bytes that are not text, and is left alone."""
    if text[0] == '"' and text[-1] == '"' and len(text) >= 2:
        try:
            inner = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
        return inner if isinstance(inner, str) else None
    if "%" in text and _PERCENT.search(text) is not None:
        return unquote_plus(text)
    if len(text) < MIN_BASE64_TEXT or not text.isascii():
        return None
    if "\n" in text:  # MIME and PEM wrap base64 in lines
        text = text.replace("\r", "").replace("\n", "")
    if len(text) % 4 == 1 or _BASE64.fullmatch(text) is None:
        return None
    raw = _decode(text.rstrip("="))
    if raw is None:
        return None
    if raw[:3] == b"\x1f\x8b\x08":
        return _inflated_text(raw, 31, len(text))
    if raw[:1] == b"\x78" and raw[1:2] in _ZLIB_LEVELS:
        return _inflated_text(raw, 15, len(text))
    return _as_text(raw)


def _inflated_text(raw: bytes, wbits: int, limit: int) -> str | None:
    """The text a gzip or zlib stream holds, at most `limit` bytes of it: no level may be
    longer than the string holding it, or compressed layers would multiply the scan's
    cost (a 30 KB event inflating to megabytes). A longer text is judged by its head."""
    try:
        raw = zlib.decompressobj(wbits=wbits).decompress(raw, limit)
    except zlib.error:
        return None
    return _as_text(raw, complete=False)


def _as_text(raw: bytes, complete: bool = True) -> str | None:
    """`raw` as UTF-8 text, or None for bytes that are not text. `complete=False`: a cut
    may have split the last character, which is then left out."""
    if complete:
        # Most bytes tried here are binary (an ID or a hash read as base64): decoded with
        # replacement, not by catching an error, which costs several times the decode.
        text = raw.decode("utf-8", "replace")
        if _REPLACED in text and (_REPLACED_UTF8 not in raw or not _strict_utf8(raw)):
            return None
    else:
        try:
            text = codecs.getincrementaldecoder("utf-8")().decode(raw, final=False)
        except UnicodeDecodeError:
            return None
    text = text.lstrip("\ufeff").rstrip("\x00")
    if text.isprintable() or all(c.isprintable() or c in _TEXT_CONTROLS for c in text):
        return text
    return None


def _strict_utf8(raw: bytes) -> bool:
    """Whether `raw` is UTF-8 throughout (it holds U+FFFD itself, or a replacement was made)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
