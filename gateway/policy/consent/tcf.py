"""IAB TCF v2 (v2.2) TC-string decoder: pure, no I/O.

Decodes the core segment and the optional disclosed-vendors, allowed-vendors
and publisher-TC segments into an immutable `TCString`. Anything that does not
follow the spec raises `TCFError`; callers treat that as "no consent" (fail
closed).

Spec: IAB Tech Lab, "Consent string and vendor list formats v2", section
"TC String Format" (TCF v2.2). Field names follow the spec in snake_case.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from functools import lru_cache
from itertools import chain, compress
from typing import NoReturn

from gateway.errors import TCFError

__all__ = ["PublisherRestriction", "RestrictionType", "TCFError", "TCString", "decode"]

_MAX_LENGTH = 65_536
# Restriction ranges may overlap (seen in the wild), so their size is not bounded by
# MaxVendorId; this cap keeps a crafted string from expanding into millions of ids.
_MAX_RESTRICTED_IDS = 65_536
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_BIT_FLAGS = bytes.maketrans(b"01", b"\x00\x01")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SEGMENT_NAMES = {1: "disclosed vendors", 2: "allowed vendors", 3: "publisher TC"}
_SMALL_FIELD_BITS = 64
_IDS = tuple(range(1, 4097))  # prebuilt ints for expanding bit fields of usual vendor ids


class RestrictionType(IntEnum):
    """Publisher restriction types (spec: "Publisher Restrictions"; value 3 is undefined)."""

    NOT_ALLOWED = 0
    REQUIRE_CONSENT = 1
    REQUIRE_LEGITIMATE_INTEREST = 2


_RESTRICTION_TYPES = tuple(RestrictionType)


@dataclass(frozen=True, slots=True)
class PublisherRestriction:
    """One (purpose, restriction type) pair and the vendors it applies to."""

    purpose_id: int
    restriction_type: RestrictionType
    vendor_ids: frozenset[int]

    def as_dict(self) -> dict[str, object]:
        return {
            "purpose_id": self.purpose_id,
            "restriction_type": int(self.restriction_type),
            "vendor_ids": sorted(self.vendor_ids),
        }


@dataclass(frozen=True, slots=True)
class TCString:
    """A decoded TC string. Id sets hold the 1-based ids whose bit is set.

    `policy_version` is TcfPolicyVersion (2 = TCF v2.0/2.1, 4 = v2.2, 5 = v2.3);
    `use_non_standard_stacks` is the bit v2.2 renamed UseNonStandardTexts.
    Fields of optional segments are empty when the segment is absent.
    """

    version: int
    created: datetime
    last_updated: datetime
    cmp_id: int
    cmp_version: int
    consent_screen: int
    consent_language: str
    vendor_list_version: int
    policy_version: int
    is_service_specific: bool
    use_non_standard_stacks: bool
    special_feature_optins: frozenset[int]
    purpose_consents: frozenset[int]
    purpose_legitimate_interests: frozenset[int]
    purpose_one_treatment: bool
    publisher_country_code: str
    vendor_consents: frozenset[int]
    vendor_legitimate_interests: frozenset[int]
    publisher_restrictions: tuple[PublisherRestriction, ...]
    vendors_disclosed: frozenset[int] = frozenset()
    vendors_allowed: frozenset[int] = frozenset()
    publisher_consents: frozenset[int] = frozenset()
    publisher_legitimate_interests: frozenset[int] = frozenset()
    num_custom_purposes: int = 0
    publisher_custom_consents: frozenset[int] = frozenset()
    publisher_custom_legitimate_interests: frozenset[int] = frozenset()

    def vendor_restrictions(self, vendor_id: int) -> dict[int, frozenset[RestrictionType]]:
        """Purpose id -> restriction types the publisher set for this vendor."""
        found: dict[int, set[RestrictionType]] = {}
        for restriction in self.publisher_restrictions:
            if vendor_id in restriction.vendor_ids:
                found.setdefault(restriction.purpose_id, set()).add(restriction.restriction_type)
        return {purpose: frozenset(kinds) for purpose, kinds in found.items()}

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready values: sorted id lists, ISO-8601 UTC timestamps."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def decode(tc_string: str) -> TCString:
    """Decode a TCF v2 TC string (base64url segments joined by '.', '=' padding optional)."""
    if not isinstance(tc_string, str):
        raise TCFError("TC string must be a str")
    if not tc_string:
        raise TCFError("TC string is empty")
    if len(tc_string) > _MAX_LENGTH:
        raise TCFError(f"TC string is longer than {_MAX_LENGTH} characters")
    texts = tc_string.split(".")
    core = _segment_bits(texts[0], 1)
    version = core.read(6, "version")
    if version == 1:
        raise TCFError("TCF v1 strings are not supported")
    if version != 2:
        raise TCFError(f"TC string version {version} is not supported (expected 2)")
    optional = _read_optional_segments(
        [_segment_bits(text, number) for number, text in enumerate(texts[1:], start=2)]
    )
    return _read_core(core, optional)


class _Bits:
    """Big-endian bit reader over one segment, held as a single int."""

    __slots__ = ("_name", "_pos", "_size", "_value")

    def __init__(self, value: int, size: int, name: str) -> None:
        self._value, self._size, self._pos, self._name = value, size, 0, name

    def read(self, width: int, field_name: str) -> int:
        end = self._pos + width
        if end > self._size:
            self._truncated(field_name)
        self._pos = end
        return (self._value >> (self._size - end)) & ((1 << width) - 1)

    def flag(self, field_name: str) -> bool:
        return self.read(1, field_name) == 1

    def ids(self, width: int, field_name: str) -> frozenset[int]:
        """A bit field of `width` bits; the first bit stands for id 1."""
        return _set_ids(self.read(width, field_name), width)

    def ranges(self, field_name: str) -> list[tuple[int, int]]:
        """NumEntries (12 bits), then per entry IsARange (1), StartOrOnlyVendorId (16)
        and, for a range, EndVendorId (16). Ids start at 1. This is the hot loop of
        range-encoded strings, so it works on locals rather than calling read()."""
        count = self.read(12, field_name)
        value, size, pos = self._value, self._size, self._pos
        entries = []
        for _ in range(count):
            if pos + 17 > size:
                self._truncated(field_name)
            pos += 17
            head = (value >> (size - pos)) & 0x1FFFF
            start = end = head & 0xFFFF
            if head >> 16:
                if pos + 16 > size:
                    self._truncated(field_name)
                pos += 16
                end = (value >> (size - pos)) & 0xFFFF
            if start < 1 or end < start:
                raise TCFError(f"{field_name}: vendor range {start}-{end} is invalid")
            entries.append((start, end))
        self._pos = pos
        return entries

    def _truncated(self, field_name: str) -> NoReturn:
        raise TCFError(f"{self._name} is truncated (ends inside {field_name})")


@dataclass(slots=True)
class _OptionalSegments:
    vendors_disclosed: frozenset[int] = frozenset()
    vendors_allowed: frozenset[int] = frozenset()
    publisher_consents: frozenset[int] = frozenset()
    publisher_legitimate_interests: frozenset[int] = frozenset()
    num_custom_purposes: int = 0
    publisher_custom_consents: frozenset[int] = frozenset()
    publisher_custom_legitimate_interests: frozenset[int] = frozenset()
    seen: set[int] = field(default_factory=set)


def _segment_bits(text: str, number: int) -> _Bits:
    """Base64url text (RFC 4648 §5) to bits. Every character carries 6 bits.

    TC strings are bit strings cut into 6-bit characters, so the text is padded with
    'A' (zero bits) to whole bytes rather than trusting byte-aligned base64 decoding,
    which would drop the last 2 or 4 bits.
    """
    name = "core segment" if number == 1 else f"segment {number}"
    if not text:
        raise TCFError(f"{name} is empty")
    if not _BASE64URL.fullmatch(text):
        raise TCFError(f"{name} is not base64url")
    chars = text.rstrip("=")
    if len(chars) != len(text) and len(text) % 4:
        raise TCFError(f"{name} has wrong base64 '=' padding")
    size = 6 * len(chars)
    standard = (chars + "A" * (-len(chars) % 4)).replace("-", "+").replace("_", "/")
    data = binascii.a2b_base64(standard)
    return _Bits(int.from_bytes(data, "big") >> (8 * len(data) - size), size, name)


def _read_core(bits: _Bits, optional: _OptionalSegments) -> TCString:
    """Core segment after Version, in spec order (keyword arguments evaluate left to right)."""
    return TCString(
        version=2,
        created=_timestamp(bits.read(36, "created")),
        last_updated=_timestamp(bits.read(36, "last_updated")),
        cmp_id=bits.read(12, "cmp_id"),
        cmp_version=bits.read(12, "cmp_version"),
        consent_screen=bits.read(6, "consent_screen"),
        consent_language=_letters(bits.read(12, "consent_language"), "consent_language"),
        vendor_list_version=bits.read(12, "vendor_list_version"),
        policy_version=bits.read(6, "policy_version"),
        is_service_specific=bits.flag("is_service_specific"),
        use_non_standard_stacks=bits.flag("use_non_standard_stacks"),
        special_feature_optins=bits.ids(12, "special_feature_optins"),
        purpose_consents=bits.ids(24, "purpose_consents"),
        purpose_legitimate_interests=bits.ids(24, "purpose_legitimate_interests"),
        purpose_one_treatment=bits.flag("purpose_one_treatment"),
        publisher_country_code=_letters(
            bits.read(12, "publisher_country_code"), "publisher_country_code"
        ),
        vendor_consents=_read_vendors(bits, "vendor_consents"),
        vendor_legitimate_interests=_read_vendors(bits, "vendor_legitimate_interests"),
        publisher_restrictions=_read_restrictions(bits),
        vendors_disclosed=optional.vendors_disclosed,
        vendors_allowed=optional.vendors_allowed,
        publisher_consents=optional.publisher_consents,
        publisher_legitimate_interests=optional.publisher_legitimate_interests,
        num_custom_purposes=optional.num_custom_purposes,
        publisher_custom_consents=optional.publisher_custom_consents,
        publisher_custom_legitimate_interests=optional.publisher_custom_legitimate_interests,
    )


def _read_optional_segments(segments: list[_Bits]) -> _OptionalSegments:
    """Segments after the core start with a 3-bit SegmentType: 1 disclosed vendors,
    2 allowed vendors, 3 publisher TC. Each may appear once, in any order."""
    optional = _OptionalSegments()
    for bits in segments:
        kind = bits.read(3, "segment type")
        if kind not in _SEGMENT_NAMES:
            raise TCFError(f"segment type {kind} is not a TCF v2 segment type (1, 2 or 3)")
        if kind in optional.seen:
            raise TCFError(f"the {_SEGMENT_NAMES[kind]} segment appears more than once")
        optional.seen.add(kind)
        if kind == 1:
            optional.vendors_disclosed = _read_vendors(bits, "vendors_disclosed")
        elif kind == 2:
            optional.vendors_allowed = _read_vendors(bits, "vendors_allowed")
        else:
            _read_publisher_tc(bits, optional)
    return optional


def _read_publisher_tc(bits: _Bits, optional: _OptionalSegments) -> None:
    """Publisher TC segment: PubPurposesConsent, PubPurposesLITransparency (24 bits each),
    NumCustomPurposes (6 bits), then two bit fields of NumCustomPurposes bits."""
    optional.publisher_consents = bits.ids(24, "publisher_consents")
    optional.publisher_legitimate_interests = bits.ids(24, "publisher_legitimate_interests")
    count = bits.read(6, "num_custom_purposes")
    optional.num_custom_purposes = count
    optional.publisher_custom_consents = bits.ids(count, "publisher_custom_consents")
    optional.publisher_custom_legitimate_interests = bits.ids(
        count, "publisher_custom_legitimate_interests"
    )


def _read_vendors(bits: _Bits, name: str) -> frozenset[int]:
    """A vendor section: MaxVendorId (16 bits), IsRangeEncoding (1 bit), then either a
    bit field of MaxVendorId bits or range entries, which must be ascending, must not
    overlap and must not pass MaxVendorId."""
    max_id = bits.read(16, name)
    if not bits.flag(name):
        return bits.ids(max_id, name)
    ranges = bits.ranges(name)
    last = 0
    for start, end in ranges:
        if start <= last:
            raise TCFError(f"{name}: range entries are out of order or overlap")
        last = end
    if last > max_id:
        raise TCFError(f"{name}: vendor id {last} is above MaxVendorId {max_id}")
    return _expand(ranges)


def _read_restrictions(bits: _Bits) -> tuple[PublisherRestriction, ...]:
    """PubRestrictions: NumPubRestrictions (12 bits), each PurposeId (6), RestrictionType
    (2) and range entries. A pair encoded twice is merged; the result is sorted by
    (purpose_id, restriction_type)."""
    name = "publisher_restrictions"
    merged: dict[tuple[int, RestrictionType], list[tuple[int, int]]] = {}
    for _ in range(bits.read(12, name)):
        purpose_id = bits.read(6, name)
        kind = _restriction_type(bits.read(2, name))
        merged.setdefault((purpose_id, kind), []).extend(bits.ranges(name))
    # CMPs often repeat one vendor list for many purposes: expand each list once.
    expanded: dict[tuple[tuple[int, int], ...], frozenset[int]] = {}
    budget = _MAX_RESTRICTED_IDS
    for ranges in merged.values():
        key = tuple(ranges)
        if key not in expanded:
            budget -= sum(end - start + 1 for start, end in ranges)
            if budget < 0:
                raise TCFError(
                    f"publisher restrictions name more than {_MAX_RESTRICTED_IDS} vendor ids"
                )
            expanded[key] = _expand(ranges)
    return tuple(
        PublisherRestriction(purpose_id, kind, expanded[tuple(ranges)])
        for (purpose_id, kind), ranges in sorted(merged.items())
    )


def _restriction_type(value: int) -> RestrictionType:
    if value >= len(_RESTRICTION_TYPES):
        raise TCFError(f"publisher restriction type {value} is undefined")
    return _RESTRICTION_TYPES[value]


def _expand(ranges: list[tuple[int, int]]) -> frozenset[int]:
    return frozenset(chain.from_iterable(range(start, end + 1) for start, end in ranges))


def _set_ids(value: int, width: int) -> frozenset[int]:
    """Ids 1..width whose bit is set, most significant bit first."""
    if not value:
        return frozenset()
    if width <= _SMALL_FIELD_BITS:
        return _small_set_ids(value, width)
    # Expanded in C (format, translate, compress): vendor bit fields run to ~1000 bits.
    flags = format(value, f"0{width}b").encode("ascii").translate(_BIT_FLAGS)
    ids = _IDS if width < len(_IDS) else range(1, width + 1)
    return frozenset(compress(ids, flags))


@lru_cache(maxsize=1024)
def _small_set_ids(value: int, width: int) -> frozenset[int]:
    """Purpose and feature fields repeat across visitors, so their sets are cached."""
    return frozenset(i for i in range(1, width + 1) if value >> (width - i) & 1)


def _letters(value: int, name: str) -> str:
    """Two 6-bit letters where 0 is 'A' (ConsentLanguage, PublisherCC)."""
    first, second = value >> 6, value & 0x3F
    if first > 25 or second > 25:
        raise TCFError(f"{name} is not two letters A-Z")
    return chr(65 + first) + chr(65 + second)


def _timestamp(deciseconds: int) -> datetime:
    """Created/LastUpdated count deciseconds since the Unix epoch."""
    return _EPOCH + timedelta(milliseconds=100 * deciseconds)


def _iso(moment: datetime) -> str:
    fraction = f".{moment.microsecond // 1000:03d}" if moment.microsecond else ""
    return f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}Z"


def _plain(value: object) -> object:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, tuple):
        return [restriction.as_dict() for restriction in value]
    return value
