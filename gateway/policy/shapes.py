"""Forbidden categories by value shape: values that are location, contacts, messages or media
whatever key they sit under.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: GPS location information, phone-book/address-book entries, message content and photos/
videos saved on the device are not collected. A coordinate pair, a vCard or a JPEG is that data
even under an innocent key such as `note` or `payload`.

Every detector is reached through a table keyed by the string's first character and starts with
constant-time checks, so an ordinary string costs one dict lookup; base64 is decoded only for
long strings that start like a media file, and then only its first 32 characters.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from typing import Any

from gateway.policy.keys import CONTACTS, KEY_DATA, LOCATION, MEDIA, MESSAGE_CONTENT, KeyVerdict

Shape = tuple[str, str]  # (category, rule)
MIN_LENGTH = 6  # shorter strings carry no shape ("geo:1,2" is the shortest)
MIN_BASE64_MEDIA = 48  # base64 shorter than this is a token, not a picture
MAX_COORDINATE_TEXT = 80
MAX_FREE_TEXT = 4096  # coordinates are searched for inside texts up to this long

COORDINATES: Shape = (LOCATION, "value:coordinates")
GEO_URI: Shape = (LOCATION, "value:geo_uri")
DATA_URI_MEDIA: Shape = (MEDIA, "value:data_uri")
DATA_URI_VCARD: Shape = (CONTACTS, "value:data_uri")
BASE64_MEDIA: Shape = (MEDIA, "value:base64_media")
MEDIA_BYTES: Shape = (MEDIA, "value:media_bytes")
VCARD: Shape = (CONTACTS, "value:vcard")
MEDIA_PATH: Shape = (MEDIA, "value:media_path")
CONTACTS_URI: Shape = (CONTACTS, "value:contacts_uri")
MESSAGE_URI: Shape = (MESSAGE_CONTENT, "value:message_uri")
CONTACT_LIST: Shape = (CONTACTS, "value:contact_list")
BASE64_MEDIA_HEX: Shape = (MEDIA, "value:hex_media")
PLUS_CODE: Shape = (LOCATION, "value:plus_code")

_NUMBER = r"([-+]?\d{1,3}\.\d{3,})"
_SEP = r"\s*[,;/\s]\s*"
_DECIMAL_PAIR = re.compile(
    r"\s*(?:point\s*)?[(\[]?\s*(?:lat(?:itude)?\s*[:=]\s*)?" + _NUMBER + _SEP
    + r"(?:l(?:ng|on|ong|ongitude)\s*[:=]\s*)?" + _NUMBER
    + r"(?:" + _SEP + r"[-+]?\d+(?:\.\d+)?)?\s*[)\]]?\s*",
    re.IGNORECASE,
)  # fmt: skip
_DMS_ONE = r"""([NSEW])?\s*(\d{1,3}(?:\.\d+)?)\s*°\s*(\d{1,2}(?:\.\d+)?)\s*['′]\s*
    (?:(\d{1,2}(?:\.\d+)?)\s*(?:"|″|'')\s*)?([NSEW])?"""
_DMS_PAIR = re.compile(r"\s*" + _DMS_ONE + r"[\s,;/]*" + _DMS_ONE + r"\s*", re.X | re.I)
# Inside free text a pair needs 4+ decimals and no word glued to it ("v1.234, 5.678" is not one).
_TEXT_NUMBER = r"([-+]?\d{1,3}\.\d{4,})"
_PAIR_IN_TEXT = re.compile(r"(?<![\w.])" + _TEXT_NUMBER + r"\s*,\s*" + _TEXT_NUMBER + r"(?![\w.])")

_B64_PREFIXES = ("/9j/", "_9j_", "iVBORw0KG", "R0lGOD", "UklGR", "AAAA", "SUkqA", "TU0AK", "GkXf")
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ")
_MEDIA_EXTENSIONS = frozenset({
    "jpg", "jpeg", "png", "gif", "heic", "heif", "webp", "avif", "dng", "raw", "tif", "tiff",
    "bmp", "mov", "mp4", "m4v", "3gp", "3g2", "avi", "mkv", "webm", "hevc",
})  # fmt: skip
_DEVICE_ROOTS = ("/storage/", "/sdcard/", "/mnt/", "/var/mobile/", "/private/var/mobile/",
                 "/data/user/", "/data/data/", "/dcim/", "file:")  # fmt: skip
_MEDIA_FOLDERS = ("/dcim/", "/pictures/", "/movies/", "/camera/", "/screenshots/", "/media/")
_CONTENT_AUTHORITIES: tuple[tuple[str, Shape], ...] = (
    ("content://com.android.contacts", CONTACTS_URI), ("content://contacts", CONTACTS_URI),
    ("content://icc/adn", CONTACTS_URI), ("content://sms", MESSAGE_URI),
    ("content://mms", MESSAGE_URI), ("content://media", MEDIA_PATH),
)  # fmt: skip
_VCARD_TYPES = ("text/vcard", "text/x-vcard", "text/directory")


def string_shape(text: str, free_text: bool = True) -> Shape | None:
    """(category, rule) when `text` is, or (for coordinates in free text) contains, forbidden
    data. URLs pass `free_text=False`: their parameters are judged one by one instead."""
    size = len(text)
    if size < MIN_LENGTH:
        return None
    shape = _leading_shape(text, size)
    if shape is None and free_text and "." in text and size <= MAX_FREE_TEXT:
        return COORDINATES if coordinates_in_text(text) else None
    return shape


def _leading_shape(text: str, size: int) -> Shape | None:
    first = text[0]
    if size >= MIN_HEX_MEDIA and text[:2].lower() in _HEX_MEDIA_STARTS:
        shape = _hex_media(text)
        if shape is not None:
            return shape
    if first in _NUMERIC_START:
        return _coordinates(text) or _plus_code(text, size)
    if size >= MIN_BASE64_MEDIA and text.startswith(_B64_PREFIXES):
        shape = _base64_media(text)
        if shape is not None:
            return shape
    if first == "/":
        return _device_path(text)
    colon = text.find(":", 0, 16)
    if colon > 0 and (detect := _BY_SCHEME.get(text[:colon].lower())) is not None:
        shape = detect(text)
        if shape is not None:
            return shape
    if first.isspace():
        rest = text.lstrip()
        return string_shape(rest) if rest else None
    if "°" in text or (first in "pP" and text[:5].lower() == "point"):
        return _coordinates(text)
    return None


MIN_HEX_MEDIA = 64
# First bytes of JPEG, PNG, GIF, WebP/AVI (RIFF), TIFF, and an ISO-BMFF box size.
_HEX_MEDIA_STARTS = frozenset({"ff", "89", "47", "52", "49", "4d", "00"})


def _hex_media(text: str) -> Shape | None:
    """A photo or video written out as hex ("ffd8ffe0…")."""
    try:
        head = bytes.fromhex(text[:32])
    except ValueError:
        return None
    return BASE64_MEDIA_HEX if media_magic(head) else None


def _plus_code(text: str, size: int) -> Shape | None:
    if 11 <= size <= 12 and text[8] == "+" and _PLUS_CODE.fullmatch(text.upper()):
        return PLUS_CODE
    return None


# Open Location Code ("Plus Code"): 8 digits of the code alphabet, "+", 2-3 more — a spot of
# about 14 m x 14 m. Short codes ("MMG2+9X Tokyo") need a reference place and pass.
_PLUS_CODE = re.compile(r"[2-9CFGHJ-MPQRV-X]{8}\+[2-9CFGHJ-MPQRV-X]{2,3}")


def key_data(name: str) -> KeyVerdict | None:
    """A verdict for a key or parameter name that is itself forbidden data
    (`{"35.68,139.76": 1}`, `?35.68,139.76`): the entry goes, its name is masked in reports."""
    shape = string_shape(name)
    if shape is None:
        return None
    return KeyVerdict(shape[0], KEY_DATA, numeric=True, hosted_ok=False, rule=shape[1])


def list_shape(items: list[Any]) -> Shape | None:
    """(category, rule) when a JSON array is a coordinate pair, the bytes of a media file,
    or a list of other people's contact entries (an address book under any key name)."""
    size = len(items)
    if 2 <= size <= 3 and type(items[0]) is float:
        return COORDINATES if _is_number_pair(items) else None
    if size >= 16 and type(items[0]) is int:
        return MEDIA_BYTES if _is_media_bytes(items) else None
    if size >= 2 and type(items[0]) is dict:
        return CONTACT_LIST if _is_contact_list(items) else None
    if size >= 3 and type(items[0]) is str:
        return CONTACT_LIST if _is_reach_list(items) else None
    return None


_PHONE = re.compile(r"\+?[\d\s().\-]{9,24}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[a-zA-Z]{2,24}")


def _is_reach_list(items: list[Any]) -> bool:
    """Three or more phone numbers or email addresses in one list: other people's, since a
    customer's own are one or two (policy: contact information in phone and address books)."""
    for item in items[:20]:
        if not isinstance(item, str) or len(item) > 320:
            return False
        if _EMAIL.fullmatch(item):
            continue
        if not _looks_like_phone(item):
            return False
    return True


def _looks_like_phone(text: str) -> bool:
    """Written like a phone number: international (+), trunk prefix (0) or with separators;
    a bare run of digits is more likely an id."""
    if not _PHONE.fullmatch(text) or sum(c.isdigit() for c in text) < 9:
        return False
    return text[0] in "+0(" or any(c in text for c in " -")


_NAME_KEYS = frozenset({
    "name", "fullname", "displayname", "firstname", "lastname", "givenname", "familyname",
    "nickname", "氏名", "名前", "姓", "名", "フルネーム",
})  # fmt: skip
_REACH_KEYS = frozenset({
    "phone", "phonenumber", "phonenumbers", "phones", "tel", "telephone", "mobile", "cell",
    "email", "emails", "emailaddress", "mail", "電話", "電話番号", "携帯", "携帯番号", "メール",
    "メールアドレス",
})  # fmt: skip


def _is_contact_list(items: list[Any]) -> bool:
    """Two or more entries that each name a person and say how to reach them: that is what
    an address book looks like, whatever the list is called (policy: "Personal information
    and contact information listed in phone books and address books")."""
    hits = 0
    for item in items[:20]:
        if not isinstance(item, dict):
            return False
        keys = {_fold_key(k) for k in item}
        if keys & _NAME_KEYS and keys & _REACH_KEYS:
            hits += 1
    return hits >= 2 and hits * 2 > min(len(items), 20)


def _fold_key(key: str) -> str:
    return key.replace("_", "").replace("-", "").replace(" ", "").lower()


def coordinates_in_text(text: str) -> bool:
    """A decimal coordinate pair anywhere in `text`: a map URL path (`/@35.6812,139.7671,15z`),
    a sentence ("I'm at 35.6812, 139.7671"), labelled parts (`lat=35.6812;lng=139.7671`) or
    hemisphere letters (`N35.6812 E139.7671`, `35.6812N, 139.7671E`)."""
    match = _PAIR_IN_TEXT.search(text)
    if match is not None and _in_range(float(match[1]), float(match[2])):
        return True
    if len(_PRECISE.findall(text, 0, MAX_FREE_TEXT)) < 2:
        return False
    for pattern in (_LABELLED, _HEMISPHERES, _HEMISPHERES_AFTER):
        match = pattern.search(text)
        if match is not None and _in_range(float(match["a"]), float(match["b"])):
            return True
    return False


_PRECISE = re.compile(r"\d\.\d{3}")
_LABELLED = re.compile(
    r"\b(?:lat|latitude)\w{0,3}\s*[=:]\s*\"?(?P<a>[-+]?\d{1,3}\.\d{3,})\"?\s*[,;&|\s]\s*"
    r"(?:lng|lon|long|longitude)\w{0,3}\s*[=:]\s*\"?(?P<b>[-+]?\d{1,3}\.\d{3,})",
    re.I,
)
_HEMISPHERES = re.compile(
    r"\b[NS]\s?(?P<a>\d{1,2}\.\d{3,})°?[\s,;/]+[EW]\s?(?P<b>\d{1,3}\.\d{3,})", re.I
)
_HEMISPHERES_AFTER = re.compile(
    r"(?P<a>\d{1,2}\.\d{3,})\s?°?\s?[NS]\b[\s,;/]+(?P<b>\d{1,3}\.\d{3,})\s?°?\s?[EW]\b", re.I
)


def _is_number_pair(items: list[Any]) -> bool:
    a, b = items[0], items[1]
    if type(b) is not float or (len(items) == 3 and type(items[2]) not in (int, float)):
        return False
    return a != round(a, 2) and b != round(b, 2) and _in_range(a, b)


def _in_range(a: float, b: float) -> bool:
    """Latitude and longitude in either order ([lat, lng] or GeoJSON's [lng, lat]); pairs of
    small fractions (scores, ratios) are not places."""
    a, b = abs(a), abs(b)
    ordered = (a <= 90 and b <= 180) or (a <= 180 and b <= 90)
    return ordered and max(a, b) >= 1


def _is_media_bytes(items: list[Any]) -> bool:
    try:
        return media_magic(bytes(items[:16]))
    except (TypeError, ValueError):
        return False


def media_magic(head: bytes) -> bool:
    """True when `head` starts a photo or video file: JPEG, PNG, GIF, WebP, AVI, TIFF/DNG,
    WebM/MKV, or an ISO-BMFF box (HEIC, AVIF, MP4, MOV, 3GP) that is not audio-only."""
    if head[:3] == b"\xff\xd8\xff" or head[:8] == b"\x89PNG\r\n\x1a\n":
        return True
    if head[:6] in (b"GIF87a", b"GIF89a") or head[:4] in (b"II*\x00", b"MM\x00*", b"\x1aE\xdf\xa3"):
        return True
    if head[:4] == b"RIFF":
        return head[8:12] in (b"WEBP", b"AVI ")
    if head[4:8] == b"ftyp":
        return head[8:12] not in _AUDIO_BRANDS
    return head[4:8] in (b"moov", b"mdat", b"wide")


def _coordinates(text: str) -> Shape | None:
    if len(text) > MAX_COORDINATE_TEXT:
        return None
    if "°" in text:
        return COORDINATES if _DMS_PAIR.fullmatch(text) is not None else None
    if "." not in text or not ("," in text or " " in text or ";" in text or "/" in text):
        return None
    match = _DECIMAL_PAIR.fullmatch(text)
    return (
        COORDINATES if match is not None and _in_range(float(match[1]), float(match[2])) else None
    )


def _geo_uri(text: str) -> Shape | None:
    if text[:4].lower() == "geo:" and text[4] in "0123456789-+.":
        return GEO_URI
    return None


def _data_uri(text: str) -> Shape | None:
    head = text[:40].lower()
    if not head.startswith("data:"):
        return None
    if head.startswith(("data:image/", "data:video/")):
        return DATA_URI_MEDIA
    if head[5:].startswith(_VCARD_TYPES):
        return DATA_URI_VCARD
    comma = text.find(",", 5, 200)  # a photo labelled application/octet-stream is a photo
    if comma > 0 and text[comma - 7 : comma].lower() == ";base64":
        return DATA_URI_MEDIA if _base64_media(text[comma + 1 :]) is not None else None
    return None


def _vcard(text: str) -> Shape | None:
    head = text[:11].upper()
    return VCARD if head == "BEGIN:VCARD" or head.startswith("MECARD:") else None


def _base64_media(text: str) -> Shape | None:
    if len(text) < MIN_BASE64_MEDIA or not text.startswith(_B64_PREFIXES):
        return None
    chunk = text[:32]
    if "-" in chunk or "_" in chunk:
        chunk = chunk.replace("-", "+").replace("_", "/")
    try:
        head = binascii.a2b_base64(chunk, strict_mode=True)
    except binascii.Error:
        return None
    return BASE64_MEDIA if media_magic(head) else None


def _device_path(text: str) -> Shape | None:
    """Paths and URIs of files on the phone: Android storage and MediaStore/contacts/SMS
    providers, iOS Photos (`ph://`, `assets-library://`), `file:` URLs to media files."""
    lower = text[:300].lower()
    if lower.startswith(("ph://", "ph-upload://", "assets-library://")):
        return MEDIA_PATH
    if lower.startswith("content://"):
        return _content_uri(lower)
    if lower.startswith(_DEVICE_ROOTS) or lower.startswith("/dcim/") or "/dcim/" in lower:
        return _media_file(lower)
    return None


def _content_uri(lower: str) -> Shape | None:
    for prefix, shape in _CONTENT_AUTHORITIES:
        if lower.startswith(prefix):
            return shape
    if "dcim" in lower or "photo" in lower or "image" in lower or "video" in lower:
        return MEDIA_PATH
    return _media_file(lower)


def _media_file(lower: str) -> Shape | None:
    if any(folder in lower for folder in _MEDIA_FOLDERS):
        return MEDIA_PATH
    name = lower.split("?", 1)[0].rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if extension in _MEDIA_EXTENSIONS:
        return MEDIA_PATH
    return VCARD if extension == "vcf" else None


_NUMERIC_START = frozenset("0123456789+-.([")
_BY_SCHEME: dict[str, Callable[[str], Shape | None]] = {
    "data": _data_uri, "geo": _geo_uri, "begin": _vcard, "mecard": _vcard,
    "ph": _device_path, "ph-upload": _device_path, "assets-library": _device_path,
    "content": _device_path, "file": _device_path, "lat": _coordinates, "latitude": _coordinates,
}  # fmt: skip
