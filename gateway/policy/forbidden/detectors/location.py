"""Location in the encodings mapping, GIS and SDK documentation use besides decimal pairs.

Privacy policy, "Handling of customer information on the website and app", 1.: "GPS location
information" is not collected, however it is written: Google's encoded polylines, geohashes,
Uber H3 cells, Bing tile quadkeys, MGRS and UTM grid references, OGC WKT and WKB geometry, and
Web Mercator (EPSG:3857) positions. Cells coarser than a few hundred metres are not a GPS fix
and pass (geohash under 7 characters, H3 under resolution 7, quadkeys under level 13).
"""

from __future__ import annotations

import re
import struct
from typing import Any

_POLY = re.compile(r"[?-~]{12,20000}", re.ASCII)
_GEOHASH = frozenset("0123456789bcdefghjkmnpqrstuvwxyz")
_NOT_HEX = frozenset("ghjkmnpqrstuvwxyz")
_DIGITS = frozenset("0123456789")
_H3 = re.compile(r"8[0-9a-f]{14}", re.ASCII)
_QUADKEY = re.compile(r"[0-3]{13,23}", re.ASCII)
_MGRS = re.compile(
    r"(\d{1,2})[C-HJ-NP-X]\s?[A-HJ-NP-Z][A-HJ-NP-V]\s?(\d{3}\s?\d{3}|\d{4}\s?\d{4}|\d{5}\s?\d{5})",
    re.ASCII,
)
_UTM = re.compile(
    r"(?<![\w.])(\d{1,2})\s?[C-HJ-NP-X]\s+(?:E\s*)?\d{6}(?:\.\d+)?\s?(?:m\s?E)?[\s,]+(?:N\s*)?"
    r"\d{7}(?:\.\d+)?\s?(?:m\s?N)?(?![\w.])",
    re.ASCII,
)
_WKT = re.compile(
    r"\b(?:POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)"
    r"\s*(?:Z|M|ZM)?\s*\(+\s*([-+]?\d{1,3}(?:\.\d+)?)\s+([-+]?\d{1,3}(?:\.\d+)?)",
    re.I | re.ASCII,
)
_WKB = re.compile(
    r"(?:01(?:0[1-7]000000|0[1-7]000020|0[1-7]0000[a-f0-9]0)|00(?:0000000[1-7]|2000000[1-7]))[0-9a-f]{32,}",
    re.I | re.ASCII,
)
# Key words under which a geohash-shaped value is taken for one.
CELL_HINTS = frozenset({
    "gh", "geohash", "hash", "cell", "area", "tile", "grid", "geo", "loc", "location",
    "position", "pos", "place", "zone", "spot", "where", "region", "near", "ジオハッシュ",
})  # fmt: skip
# A decimal pair joined by a separator other than the comma/space/slash the key-and-shape scan
# reads: Bing's `cp=35.681236~139.767125`, `35.681236_139.767125`. Five decimals at least (a
# metre): a price list's pipes (`29.9900|105.0000`) stay.
_PAIR = re.compile(
    r"(?<![\w.])([-+]?\d{1,2}\.\d{5,})\s*[~_:]\s*([-+]?\d{1,3}\.\d{5,})(?![\w.])", re.ASCII
)
MERCATOR_CODES = frozenset({3857, 900913, 102100, 102113, 3785})
# Keys under which a bare number is a spatial reference (ArcGIS, PostGIS, OGC).
REFERENCE_KEYS = frozenset({
    "wkid", "latestwkid", "srid", "epsg", "crs", "sr", "spatialreference", "projection", "srs",
})  # fmt: skip
_MERCATOR_LIMIT = 20037508.35


ONE_CHARACTER = 16  # the values a polyline writes in a single character: -16 < v < 16


def polyline_prefilter(text: str) -> bool:
    return _POLY.fullmatch(text) is not None


def polyline(text: str) -> str | None:
    """Google's encoded polyline (precision 5, or 6 as Mapbox/OSRM/Valhalla write it): at
    least three points, all in range, each a short step from the last, the string consumed
    exactly. Random words decode to far jumps or leftovers."""
    if _POLY.fullmatch(text) is None:
        return None
    values = _decode_varints(text)
    if values is None or len(values) < 6 or len(values) % 2:
        return None
    for factor in (1e5, 1e6):
        if _plausible_trace(values, factor):
            return "encoded_polyline"
    return None


def _decode_varints(text: str) -> list[int] | None:
    out, value, shift = [], 0, 0
    for char in text:
        chunk = ord(char) - 63
        value |= (chunk & 0x1F) << shift
        shift += 5
        if chunk < 0x20:
            out.append(~(value >> 1) if value & 1 else value >> 1)
            value, shift = 0, 0
        elif shift > 35:
            return None
    return out if shift == 0 else None


def _plausible_trace(values: list[int], factor: float) -> bool:
    """A start in range, off null island and off the two zero lines, then short steps. A
    start coordinate written in one character (|value| < 16: within 17 m of the equator or
    the prime meridian) is what a word with a capital decodes to (`Aaaaa…` starts at
    0.00001° N); a trace starting on that line is rare enough to give up."""
    if min(abs(values[0]), abs(values[1])) < ONE_CHARACTER:
        return False
    lat, lng = values[0] / factor, values[1] / factor
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (abs(lat) < 1 and abs(lng) < 1):
        return False
    for i in range(2, len(values), 2):
        step_lat, step_lng = values[i] / factor, values[i + 1] / factor
        if abs(step_lat) > 0.5 or abs(step_lng) > 0.5:
            return False
        lat, lng = lat + step_lat, lng + step_lng
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            return False
    return True


def geohash_prefilter(text: str) -> bool:
    return 7 <= len(text) <= 12 and set(text) <= _GEOHASH


def geohash(text: str) -> str | None:
    """A geohash of 7+ characters (a cell of ~150 m or finer). It must mix letters and digits
    and use a letter outside hex, so hex digests and plain numbers are not taken for one."""
    if not 7 <= len(text) <= 12:
        return None
    chars = set(text)
    if (
        not chars <= _GEOHASH
        or chars.isdisjoint(_NOT_HEX)
        or chars <= _DIGITS
        or chars.isdisjoint(_DIGITS)
    ):
        return None
    return "geohash"


def h3_prefilter(text: str) -> bool:
    return len(text) == 15 and text[0] == "8" and text[-1] == "f"


def h3(text: str) -> str | None:
    """An Uber H3 cell index (mode 1) of resolution 7 or finer: its unused digits are all 7s."""
    if _H3.fullmatch(text) is None:
        return None
    value = int(text, 16)
    resolution = (value >> 52) & 0xF
    if (value >> 59) & 0xF != 1 or resolution < 7 or (value >> 45) & 0x7F > 121:
        return None
    unused = (15 - resolution) * 3
    if value & ((1 << unused) - 1) != (1 << unused) - 1:
        return None
    digits = [(value >> (3 * (14 - i))) & 7 for i in range(resolution)]
    return "h3_cell" if 7 not in digits else None


def quadkey_prefilter(text: str) -> bool:
    return 13 <= len(text) <= 23 and text[0] in "0123"


def quadkey(text: str) -> str | None:
    """A Bing Maps tile quadkey of level 13+ (tiles under ~20 m at level 23)."""
    if _QUADKEY.fullmatch(text) is None or len(set(text)) < 2:
        return None
    return "quadkey"


_ZONE = re.compile(r"(?<![\w.])\d{1,2}\s?[C-HJ-NP-X]", re.ASCII)  # how both start


def grid_prefilter(text: str) -> bool:
    return 7 <= len(text) <= 4096 and _ZONE.search(text) is not None


def grid(text: str) -> str | None:
    """An MGRS reference with 100 m precision or finer (`54SUE8503143741`), or a UTM one
    (`54S 388455 3949795`) anywhere in the text."""
    match = _MGRS.fullmatch(text.strip())
    if match is not None and 1 <= int(match.group(1)) <= 60:
        return "mgrs"
    found = _UTM.search(text)
    if found is not None and 1 <= int(found.group(1)) <= 60:
        return "utm"
    return None


def wkt_prefilter(text: str) -> bool:
    return len(text) >= 8 and "(" in text


def wkt(text: str) -> str | None:
    """OGC Well-Known Text (`POINT(139.76 35.68)`, `SRID=4326;LINESTRING(...)`) anywhere in
    the text, its first position in range."""
    match = _WKT.search(text)
    if match is None:
        return None
    x, y = float(match.group(1)), float(match.group(2))
    return "wkt" if abs(x) <= 180 and abs(y) <= 90 and (abs(x) > 1 or abs(y) > 1) else None


def pair_prefilter(text: str) -> bool:
    return len(text) >= 15 and _PAIR.search(text, 0, 4096) is not None


def pair(text: str) -> str | None:
    """Two precise decimals in coordinate range joined by `~ _ :`."""
    for match in _PAIR.finditer(text, 0, 4096):
        a, b = float(match.group(1)), float(match.group(2))
        if abs(a) <= 90 and abs(b) <= 180 and (abs(a) > 1 or abs(b) > 1):
            return "decimal_pair"
    return None


def wkb_prefilter(text: str) -> bool:
    return len(text) >= 42 and text[:2] in ("01", "00")


def wkb(text: str) -> str | None:
    """OGC Well-Known Binary (PostGIS EWKB) written in hex: a geometry header, then a first
    position in range."""
    if _WKB.fullmatch(text) is None or len(text) % 2:
        return None
    raw = bytes.fromhex(text[:100] if len(text) >= 100 else text)
    order = "<" if raw[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", raw[1:5])
    start = 9 if kind & 0x20000000 else 5
    if kind & 0xFF != 1:
        start += 8 if kind & 0xFF in (2, 4, 5, 6) else 12  # skip counts to the first point
    if len(raw) < start + 16:
        return None
    x, y = struct.unpack(order + "2d", raw[start : start + 16])
    return "wkb" if abs(x) <= 180 and abs(y) <= 90 and (abs(x) > 1 or abs(y) > 1) else None


def mercator_record(record: dict[str, Any]) -> str | None:
    """A Web Mercator position: a dict that names EPSG:3857 or an alias under a spatial-
    reference key (`"crs": "EPSG:3857"`, ArcGIS's `spatialReference.wkid`) beside two numbers
    in the projection's range, the code itself not counted."""
    numbers = 0
    for key, value in record.items():
        if (
            (type(value) is float or type(value) is int)
            and 180 < abs(value) <= _MERCATOR_LIMIT
            and not reference_key(key)
        ):
            numbers += 1
    return "web_mercator" if numbers >= 2 and _names_mercator(record) else None


def reference_key(key: str) -> bool:
    """A key naming a spatial reference (`wkid`, `srid`, `crs`, `spatialReference` …)."""
    return "".join(c for c in key.lower() if c.isalnum()) in REFERENCE_KEYS


def _names_mercator(record: dict[str, Any]) -> bool:
    for key, value in record.items():
        if type(value) is int and value in MERCATOR_CODES and reference_key(key):
            return True
        if (
            type(value) is str
            and len(value) < 40
            and reference_key(key)
            and "EPSG" in value.upper()
        ):
            digits = "".join(c for c in value if c in "0123456789")
            if digits and int(digits) in MERCATOR_CODES:
                return True
        if type(value) is dict and reference_key(key) and _names_mercator(value):
            return True
    return False
