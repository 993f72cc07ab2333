"""GPS positions written as values: number pairs, coordinate strings in every common notation,
positions inside free text and map URLs, Plus Codes and what3words addresses.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: GPS location information is not collected. A pair of decimals is a position only when it
could be one and is written as precisely as a device writes it: without a place named near it,
one of the two must exceed 100 (only a longitude can, and scores and percentages stop at 100)
or carry five decimals, so that scores, percentages and lap times ("65.1234, 66.2345") pass.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import unquote

from gateway.policy.forbidden.vocabulary import LOCATION

Shape = tuple[str, str]  # (category, rule)
COORDINATES: Shape = (LOCATION, "value:coordinates")
GEO_URI: Shape = (LOCATION, "value:geo_uri")
PLUS_CODE: Shape = (LOCATION, "value:plus_code")
WHAT3WORDS: Shape = (LOCATION, "value:what3words")
MAX_COORDINATE_TEXT = 80
MAX_FREE_TEXT = 4096  # positions are searched for inside texts up to this long

_NUMBER = r"([-+]?\d{1,3}\.\d{3,})"
_SEP = r"\s*[,;/\s]\s*"
_DECIMAL_PAIR = re.compile(
    r"\s*(?:point\s*)?[(\[]?\s*(?:lat(?:itude)?\s*[:=]\s*)?" + _NUMBER + _SEP
    + r"(?:l(?:ng|on|ong|ongitude)\s*[:=]\s*)?" + _NUMBER
    + r"(?:" + _SEP + r"[-+]?\d+(?:\.\d+)?)?\s*[)\]]?\s*",
    re.IGNORECASE,
)  # fmt: skip
# Possessive quantifiers (`*+`): no two optional runs of spaces may compete for the same
# characters, or a long run of spaces costs cubic time.
_DMS_ONE = (
    r"""(?:([NSEW])\s*+)?(\d{1,3}(?:\.\d+)?)\s*+(?:°|º|deg\b\.?)\s*+(\d{1,2}(?:\.\d+)?)\s*+"""
    r"""['′]\s*+(?:(\d{1,2}(?:\.\d+)?)\s*+(?:"|″|'')\s*+)?([NSEW])?"""
)  # fmt: skip
_DMS_PAIR = re.compile(_DMS_ONE + r"[\s,;/]*+" + _DMS_ONE, re.I)
# Inside free text a pair needs 4+ decimals and no word glued to it ("v1.234, 5.678" is not one).
_TEXT_NUMBER = r"([-+]?\d{1,3}\.\d{4,})"
_PAIR_IN_TEXT = re.compile(
    r"(?<![\w.])" + _TEXT_NUMBER + r"\s*[,;/]\s*" + _TEXT_NUMBER + r"(?![\w.])"
)
# Decimal commas ("35,658581; 139,745433"): four or more digits after a comma are never a
# thousands group.
_COMMA_PAIR = re.compile(r"(?<![\w.,])(\d{1,3}),(\d{4,})\s*[;/]\s*(\d{1,3}),(\d{4,})(?![\w,])")
_PRECISE = re.compile(r"\d\.\d{3}")
_LABELLED = re.compile(
    r"\b(?:lat|latitude)\w{0,3}[\"']?\s*+[=:]\s*+[\"']?(?P<a>[-+]?\d{1,3}\.\d{3,})[\"']?"
    r"(?:\s*+[,;&|]\s*+|\s++)[\"']?(?:lng|lon|long|longitude)\w{0,3}[\"']?\s*+[=:]\s*+[\"']?"
    r"(?P<b>[-+]?\d{1,3}\.\d{3,})",
    re.I,
)
_HEMISPHERES = re.compile(
    r"\b[NS]\s?(?P<a>\d{1,2}\.\d{3,})°?[\s,;/]+[EW]\s?(?P<b>\d{1,3}\.\d{3,})", re.I
)
_HEMISPHERES_AFTER = re.compile(
    r"(?P<a>\d{1,2}\.\d{3,})\s?°?\s?[NS]\b[\s,;/]+(?P<b>\d{1,3}\.\d{3,})\s?°?\s?[EW]\b", re.I
)
# Japanese notation, either axis first: 北緯35.681236度、東経139.767125度 (also 緯度: … 経度:
# …), and degrees with minutes (北緯35度40分52秒 東経139度46分1秒). Bounded gaps keep the
# search linear.
_JA_AXIS = r"(?:[北南]緯|[東西]経|緯度|経度)[\s:：]*+"
_JA_DECIMAL = re.compile(
    _JA_AXIS + r"(?P<a>\d{1,3}\.\d{3,})\s*+度?\D{0,8}?" + _JA_AXIS + r"(?P<b>\d{1,3}\.\d{3,})"
)
_JA_DMS = re.compile(
    _JA_AXIS + r"(?P<a>\d{1,3})\s*+度\s*+(?P<am>\d{1,2}(?:\.\d+)?)\s*+分[^緯経]{0,16}?"
    + _JA_AXIS + r"(?P<b>\d{1,3})\s*+度\s*+(?P<bm>\d{1,2}(?:\.\d+)?)\s*+分"
)  # fmt: skip
_DECIMAL = re.compile(r"[-+]?\d{1,3}\.\d{1,15}")  # one decimal number, as `as_decimal` reads it
# XML elements read as labels: `<lat>35.68</lat><lon>139.76</lon>` as `lat=35.68 lon=139.76`.
_XML_TAG = re.compile(r"<(/?)([\w:.-]{1,40})[^<>]{0,200}>")
# Google Maps data parameters (`!3d35.658581!4d139.745433`).
_GOOGLE_DATA = re.compile(r"!3d(?P<a>-?\d{1,2}\.\d{3,})!4d(?P<b>-?\d{1,3}\.\d{3,})")
# NMEA 0183 sentences from a GNSS receiver ($GPGGA, $GNRMC ...): ddmm.mmmm,N,dddmm.mmmm,E.
_NMEA = re.compile(r"(?<!\d)(\d{2})(\d{2}\.\d{2,}),([NS]),(\d{3})(\d{2}\.\d{2,}),([EW])\b")
# Open Location Code ("Plus Code"): 8 digits of the code alphabet, "+", 2-3 more — a spot of
# about 14 m x 14 m. Short codes ("MMG2+9X Tokyo") need a reference place and pass.
_OLC = "[2-9CFGHJMPQRVWX]"
_PLUS_CODE = re.compile(f"[2-9C][2-9CFGHJMPQRV]{_OLC}{{6}}\\+{_OLC}{{2,3}}")
_PLUS_CODE_IN_TEXT = re.compile(
    f"(?<![0-9A-Za-z+])[2-9C][2-9CFGHJMPQRV]{_OLC}{{6}}\\+{_OLC}{{2,3}}(?![0-9A-Za-z+/])"
)
# A what3words address (`///index.home.raft`): a 3 m square.
_WHAT3WORDS = re.compile(r"///[^\W\d_]+\.[^\W\d_]+\.[^\W\d_]+")
_WIDE = re.compile("[\uff01-\uff5e]")  # full-width ASCII (３５．６５)
_PATH_HINT = re.compile(r"\d\.\d{3}|![34]d|\+[2-9CFGHJMPQRVWX]{2}")


def normalized(text: str) -> str:
    """`text` with full-width digits and punctuation made ASCII (NFKC), for the patterns."""
    if text.isascii() or _WIDE.search(text) is None:
        return text
    return unicodedata.normalize("NFKC", text)


def coordinate_string(text: str) -> Shape | None:
    """A string that is a position and nothing else: "35.6812, 139.7671", "POINT(139.76
    35.68)", DMS ("35°40'52\"N 139°46'01\"E")."""
    if len(text) > MAX_COORDINATE_TEXT:
        return None
    if ("°" in text or "deg" in text) and _dms(_DMS_PAIR.fullmatch(text.strip())):
        return COORDINATES
    if "." not in text or not ("," in text or " " in text or ";" in text or "/" in text):
        return None
    match = _DECIMAL_PAIR.fullmatch(text)
    if match is None or not in_range(float(match[1]), float(match[2])):
        return None
    return COORDINATES if _precise(match[1], match[2], 3) else None


def geo_uri(text: str) -> Shape | None:
    """`geo:35.68,139.76` (RFC 5870); `geo:0,0?q=35.68,139.76` too."""
    return GEO_URI if text[4:5] in _GEO_START else None


_GEO_START = frozenset("0123456789-+.")


def plus_code(text: str) -> Shape | None:
    """A full Plus Code on its own (`8Q7XMMG2+9X`)."""
    if 11 <= len(text) <= 12 and text[8] == "+" and _PLUS_CODE.fullmatch(text.upper()):
        return PLUS_CODE
    return None


def what3words(text: str) -> Shape | None:
    return WHAT3WORDS if text[:3] == "///" and _WHAT3WORDS.fullmatch(text) else None


def coordinates_in_text(text: str) -> bool:
    """A position anywhere in `text`: a decimal pair ("I'm at 35.6812, 139.7671", a map URL
    path `/@35.6812,139.7671,15z` or `#map=18/35.6812/139.7671`), labelled parts
    (`lat=35.68;lng=139.76`, `{"lat": 35.68, "lng": 139.76}`), hemisphere letters, DMS, decimal
    commas, Google Maps `!3d…!4d…`, an NMEA sentence or a full Plus Code."""
    if "+" in text and _PLUS_CODE_IN_TEXT.search(text, 0, MAX_FREE_TEXT) is not None:
        return True
    if "," in text and (";" in text or "/" in text) and _comma_pair(text):
        return True
    if ("°" in text or "deg" in text) and _dms(_DMS_PAIR.search(text, 0, MAX_FREE_TEXT)):
        return True
    if "緯" in text and "経" in text and _japanese(text):
        return True
    if "." not in text:
        return False
    for pair in _PAIR_IN_TEXT.finditer(text, 0, MAX_FREE_TEXT):
        if in_range(float(pair[1]), float(pair[2])) and _precise(pair[1], pair[2], 4):
            return True
    if len(_PRECISE.findall(text, 0, MAX_FREE_TEXT)) >= 2:
        if _labelled(text):
            return True
        if "</" in text and _labelled(_XML_TAG.sub(_xml_label, text[:MAX_FREE_TEXT])):
            return True
    return (",N," in text or ",S," in text) and _nmea(text)


def _labelled(text: str) -> bool:
    for pattern in (_LABELLED, _HEMISPHERES, _HEMISPHERES_AFTER, _GOOGLE_DATA):
        match = pattern.search(text)
        if match is not None and in_range(float(match["a"]), float(match["b"])):
            return True
    return False


def _japanese(text: str) -> bool:
    match = _JA_DECIMAL.search(text, 0, MAX_FREE_TEXT)
    if match is not None and in_range(float(match["a"]), float(match["b"])):
        return True
    match = _JA_DMS.search(text, 0, MAX_FREE_TEXT)
    if match is None or float(match["am"]) >= 60 or float(match["bm"]) >= 60:
        return False
    return in_range(float(match["a"]), float(match["b"]))


def _xml_label(tag: re.Match[str]) -> str:
    return " " if tag[1] else f" {tag[2]}="


def location_in_url(url: str, path_end: int, hash_at: int) -> bool:
    """A map URL's path or hash route holds a position: `/maps/@35.68,139.76,15z`,
    `/dir/35.68,139.76/`, `/place/…/data=!3d35.68!4d139.76`, `plus.codes/8Q7XJPR2+FG`,
    `#/@35.68,139.76`; percent-encoded too. Hash-route parameters (`#map=…`) are judged as
    parameters instead."""
    path = url[:path_end] if _PATH_HINT.search(url, 0, path_end) is not None else ""
    if hash_at >= 0 and _PATH_HINT.search(url, hash_at) is not None:
        fragment = url[hash_at:].split("?", 1)[0]
        path += "" if "=" in fragment else fragment
    if not path:
        return False
    if "%" in path:
        path = unquote(path)
    return coordinates_in_text(path)


def _comma_pair(text: str) -> bool:
    match = _COMMA_PAIR.search(text, 0, MAX_FREE_TEXT)
    if match is None:
        return False
    lat, lng = f"{match[1]}.{match[2]}", f"{match[3]}.{match[4]}"
    return in_range(float(lat), float(lng)) and _precise(lat, lng, 4)


def _nmea(text: str) -> bool:
    for match in _NMEA.finditer(text, 0, MAX_FREE_TEXT):
        degrees, minutes = int(match[1]), float(match[2])
        lon_degrees, lon_minutes = int(match[4]), float(match[5])
        if degrees <= 90 and lon_degrees <= 180 and minutes < 60 and lon_minutes < 60:
            return True
    return False


def _dms(match: re.Match[str] | None) -> bool:
    if match is None:
        return False
    first, second = float(match[2]), float(match[7])
    minutes_ok = float(match[3]) < 60 and float(match[8]) < 60
    return minutes_ok and in_range(first, second)


def decimals(number: float | str) -> int:
    text = number if isinstance(number, str) else repr(number)
    point = text.find(".")
    if point < 0 or "e" in text:
        return 0
    return len(text) - point - 1


def _precise(a: float | str, b: float | str, least: int) -> bool:
    """Both written with `least` decimals, and as precisely as a device writes a position:
    five decimals, or one of them beyond 100 (only a longitude can be; scores and
    percentages stop at 100)."""
    first, second = decimals(a), decimals(b)
    if min(first, second) < least:
        return False
    return max(first, second) >= 5 or max(abs(float(a)), abs(float(b))) > 100


def number_pair(items: list[Any], in_place: bool) -> bool:
    """[lat, lng], GeoJSON's [lng, lat] or either with an altitude. Under a place-like key
    (`position`, `center`) three decimals do; elsewhere the pair must be device-precise."""
    a, b = items[0], items[1]
    if type(b) is not float or (len(items) == 3 and type(items[2]) not in (int, float)):
        return False
    if not in_range(a, b):
        return False
    return _precise(a, b, 3) if not in_place else min(decimals(a), decimals(b)) >= 3


def as_decimal(value: Any) -> float | None:
    """A float, or a string that is one decimal number (`"35.681236"`), as a float."""
    if type(value) is float:
        return value
    return float(value) if isinstance(value, str) and _DECIMAL.fullmatch(value) else None


def lone_pair(lat: float, lng: float) -> bool:
    """Two sibling numbers named like axes (`{"la": 35.658581, "lo": 139.745433}`, `x`/`y`
    under a place) as a position: in range, four decimals each."""
    return in_range(lat, lng) and min(decimals(lat), decimals(lng)) >= 4


def in_range(a: float, b: float) -> bool:
    """Latitude and longitude in either order ([lat, lng] or GeoJSON's [lng, lat]); pairs of
    small fractions (scores, ratios) are not places."""
    a, b = abs(a), abs(b)
    ordered = (a <= 90 and b <= 180) or (a <= 180 and b <= 90)
    return ordered and max(a, b) >= 1
