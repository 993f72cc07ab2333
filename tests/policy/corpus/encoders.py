"""Reference encoders for the corpus builder: location encodings, byte notations. Written from
the formats' public specifications (Google's encoded polyline algorithm, Gustavo Niemeyer's
geohash, Bing Maps tile quadkeys, OGC WKB, EPSG:3857)."""

from __future__ import annotations

import math
import struct

_B32 = "0123456789bcdefghjkmnpqrstuvwxyz"


def polyline(points: list[tuple[float, float]], precision: int = 5) -> str:
    factor, out, last = 10**precision, [], (0, 0)
    for lat, lng in points:
        now = (round(lat * factor), round(lng * factor))
        for delta in (now[0] - last[0], now[1] - last[1]):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        last = now
    return "".join(out)


def geohash(lat: float, lng: float, length: int = 9) -> str:
    lat_r, lng_r, bits, out, even, ch, bit = [-90.0, 90.0], [-180.0, 180.0], 0, [], True, 0, 0
    while len(out) < length:
        rng, val = (lng_r, lng) if even else (lat_r, lat)
        mid = (rng[0] + rng[1]) / 2
        if val > mid:
            ch |= 1 << (4 - bit)
            rng[0] = mid
        else:
            rng[1] = mid
        even, bit = not even, bit + 1
        if bit == 5:
            out.append(_B32[ch])
            bit, ch = 0, 0
        bits += 1
    return "".join(out)


def quadkey(lat: float, lng: float, level: int = 16) -> str:
    sin = math.sin(lat * math.pi / 180)
    x = (lng + 180) / 360
    y = 0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)
    size = 256 << level
    px, py = int(x * size) >> 8, int(y * size) >> 8
    digits = []
    for i in range(level, 0, -1):
        mask, d = 1 << (i - 1), 0
        if px & mask:
            d += 1
        if py & mask:
            d += 2
        digits.append(str(d))
    return "".join(digits)


def wkb_point_hex(lat: float, lng: float, srid: bool = True) -> str:
    if srid:
        return struct.pack("<BII2d", 1, 0x20000001, 4326, lng, lat).hex().upper()
    return struct.pack("<BI2d", 1, 1, lng, lat).hex()


def mercator(lat: float, lng: float) -> tuple[float, float]:
    x = lng * 20037508.34 / 180
    y = math.log(math.tan((90 + lat) * math.pi / 360)) / (math.pi / 180) * 20037508.34 / 180
    return round(x, 2), round(y, 2)


def dms(value: float, pos: str, neg: str) -> str:
    hemi = pos if value >= 0 else neg
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return f"{d}°{m}'{s:.1f}\"{hemi}"


def ddm(value: float, pos: str, neg: str) -> str:
    hemi = pos if value >= 0 else neg
    value = abs(value)
    d = int(value)
    return f"{hemi} {d}° {(value - d) * 60:.3f}'"
