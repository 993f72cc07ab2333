"""Forbidden categories by value shape: values that are location, contacts, messages or media
whatever key they sit under.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: GPS location information, phone-book/address-book entries, message content and photos/
videos saved on the device are not collected. A coordinate pair, a vCard or a JPEG is that data
even under an innocent key such as `note` or `payload`.

This module dispatches; the detectors live in `coordinates.py`, `contacts.py`, `media.py` and
`messages.py`. Each is reached through constant-time checks on the string's first characters or
a substring test, so an ordinary string costs a few lookups; base64 is decoded only for long
strings that start (or continue after a label) like a media file, and then only its head.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.policy.forbidden.keys import KEY_DATA, KeyVerdict
from gateway.policy.forbidden.shapes.contacts import (
    B64_CARDS,
    CONTACT_LIST,
    VCARD,
    jcard,
    reach_list,
    reach_string,
    vcard,
)
from gateway.policy.forbidden.shapes.coordinates import (
    COORDINATES,
    MAX_COORDINATE_TEXT,
    MAX_FREE_TEXT,
    Shape,
    as_decimal,
    coordinate_string,
    coordinates_in_text,
    decimals,
    geo_uri,
    normalized,
    number_pair,
    plus_code,
    what3words,
)
from gateway.policy.forbidden.shapes.media import (
    B64_PREFIXES,
    HEX_MEDIA_STARTS,
    MEDIA_BYTES,
    MIN_BASE64_MEDIA,
    MIN_HEX_MEDIA,
    base64_media,
    data_uri,
    device_path,
    hex_media,
    labelled_base64_media,
    media_bytes,
    multipart_media,
    percent_encoded_media,
    photokit_id,
)
from gateway.policy.forbidden.shapes.messages import message_uri

MIN_LENGTH = 6  # shorter strings carry no shape ("geo:1,2" is the shortest)


def string_shape(text: str, free_text: bool = True) -> Shape | None:
    """(category, rule) when `text` is, or (for free text) contains, forbidden data. URLs pass
    `free_text=False`: their parameters are judged one by one instead."""
    size = len(text)
    if size < MIN_LENGTH:
        return None
    shape = _leading_shape(text, size)
    if shape is not None or not free_text:
        return shape
    if not text.isascii():
        text = normalized(text)
    elif size < MIN_BASE64_MEDIA + 4 and not _hinted(text):
        return None
    return _contained_shape(text, size)


def _hinted(text: str) -> bool:
    """Whether any shape inside free text can be there: each needs one of these characters
    (a decimal point or comma, a separator, a Plus Code's "+", a degree or minute sign)."""
    return (
        "." in text
        or "," in text
        or ";" in text
        or "+" in text
        or "\n" in text
        or "°" in text
        or "'" in text
    )


def _leading_shape(text: str, size: int) -> Shape | None:
    first = text[0]
    if size >= MIN_HEX_MEDIA and text[:2].lower() in HEX_MEDIA_STARTS:
        shape = hex_media(text)
        if shape is not None:
            return shape
    if first in _NUMERIC_START:
        if first == "-" and text[1] == "-":
            return multipart_media(text)
        if size <= MAX_COORDINATE_TEXT and ("." in text or "°" in text):
            return coordinate_string(text)
        if size == 11 or size == 12:
            return plus_code(text)
        return photokit_id(text) if size == 43 else None
    if size >= MIN_BASE64_MEDIA and text.startswith(_BASE64_STARTS):
        shape = base64_media(text)
        if shape is not None:
            return shape
    if first in _B64_CARD_FIRST and text.startswith(B64_CARDS):
        return VCARD
    if first == "/":
        return device_path(text) or what3words(text)
    if size == 43 and first in _HEX_LETTERS:
        return photokit_id(text)
    colon = text.find(":", 0, 16)
    if colon > 0:
        detect = _BY_SCHEME.get(text[:colon].lower())
        if detect is not None:
            return detect(text)
        if colon == 1 and text[2:3] == "\\":
            return device_path(text)
    if first.isspace() or first == "\ufeff":
        return _after_leading_space(text)
    if first == "%" and size >= MIN_BASE64_MEDIA:
        return percent_encoded_media(text)
    if "°" in text or (first in "pP" and text[:5].lower() == "point"):
        return coordinate_string(text)
    return None


def _after_leading_space(text: str) -> Shape | None:
    """The shape of `text` past leading whitespace of any kind (an ideographic space U+3000,
    a vertical tab, a byte-order mark): `str.lstrip(chars)` with a fixed set would leave some
    of them, and judging the same string again would never end."""
    start = 1
    while start < len(text) and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    return string_shape(text[start:]) if start < len(text) else None


def _contained_shape(text: str, size: int) -> Shape | None:
    """Shapes inside free text: a position, a vCard after a label, several phone numbers or
    emails in one string, base64 media after a label (`image/jpeg;base64,/9j/…`)."""
    if size <= MAX_FREE_TEXT and coordinates_in_text(text):
        return COORDINATES
    shape = vcard(text)
    if shape is None and ("," in text or ";" in text or "\n" in text):
        shape = reach_string(text)
    if shape is None and size >= MIN_BASE64_MEDIA + 4:
        shape = labelled_base64_media(text)
    return shape


def key_data(name: str) -> KeyVerdict | None:
    """A verdict for a key or parameter name that is itself forbidden data
    (`{"35.68,139.76": 1}`, `?35.68,139.76`): the entry goes, its name is masked in reports."""
    shape = string_shape(name)
    if shape is None:
        return None
    return KeyVerdict(shape[0], KEY_DATA, numeric=True, hosted_ok=False, rule=shape[1])


def list_shape(items: list[Any], in_place: bool) -> Shape | None:
    """(category, rule) when a JSON array of scalars is a coordinate pair, the bytes of a
    media file, a jCard, or three or more phone numbers or emails. (Lists of entries are
    judged as the walk reaches them: see `walk.py`.)"""
    size = len(items)
    kind = type(items[0])
    if 2 <= size <= 3 and kind is float:
        return COORDINATES if number_pair(items, in_place) else None
    if size >= 16 and kind is int:
        return MEDIA_BYTES if media_bytes(items) else None
    if kind is str:
        if jcard(items):
            return VCARD
        if size <= 3 and _number_strings(items, in_place):
            return COORDINATES
        if size >= 3 and reach_list(items):
            return CONTACT_LIST
    return None


def _number_strings(items: list[Any], in_place: bool) -> bool:
    """`["35.681236", "139.767125"]`: a coordinate pair written as decimal strings. Lists of
    decimal strings are mostly rates and prices (`["1.0854", "149.8523"]`, bid and ask), so
    outside a place-like key both need a device's five decimals and one must be beyond 10."""
    numbers = [number for item in items if (number := as_decimal(item)) is not None]
    if len(numbers) != len(items) or len(numbers) < 2 or not number_pair(numbers, in_place):
        return False
    if in_place:
        return True
    precise = min(decimals(items[0]), decimals(items[1])) >= 5
    return precise and max(abs(numbers[0]), abs(numbers[1])) >= 10


_NUMERIC_START = frozenset("0123456789+-.([")
_B64_CARD_FIRST = frozenset(card[0] for card in B64_CARDS)
_HEX_LETTERS = frozenset("ABCDEFabcdef")
_BASE64_STARTS = (*B64_PREFIXES, "H4sI")
_BY_SCHEME: dict[str, Callable[[str], Shape | None]] = {
    "data": data_uri, "geo": geo_uri,
    "begin": vcard, "mecard": vcard, "ph": device_path, "ph-upload": device_path,
    "assets-library": device_path, "content": device_path, "file": device_path,
    "lat": coordinate_string, "latitude": coordinate_string, "sms": message_uri,
    "smsto": message_uri, "mms": message_uri, "mmsto": message_uri, "mailto": message_uri,
}  # fmt: skip
