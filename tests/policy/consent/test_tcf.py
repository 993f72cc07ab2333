"""TC-string decoder: third-party vectors, reference-decoder cross-check, own encoder."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.policy.consent.tcf import RestrictionType, TCFError, TCString, decode

TESTDATA = Path(__file__).resolve().parents[4] / "shared" / "testdata" / "iabtcf"
VECTORS_FILE = TESTDATA / "tcf_vectors.json"
CROSSCHECK_FILE = TESTDATA / "tcf_vectors_crosscheck.json"
NO_TESTDATA = f"IAB TCF test vectors not found at {TESTDATA} (shared/ next to the repo)"


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _params(items: list[Any], ids: list[str]) -> list[Any]:
    if not items:
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_TESTDATA))]
    return [pytest.param(item, id=name) for item, name in zip(items, ids, strict=True)]


VECTORS = _load(VECTORS_FILE)
VECTOR_STRINGS = {v["id"]: v["tc_string"] for v in VECTORS.get("vectors", [])}
REFERENCE_DECODES = [
    (result["id"], decoder, result[decoder]["decoded"])
    for result in _load(CROSSCHECK_FILE).get("results", [])
    for decoder in ("iabtechlabtcf_core", "iabgpp_cmpapi")
    if (result[decoder]["decoded"] or {}).get("version") == 2
]


# --- checking expectations written with the vectors' suffix conventions ----------------


def mismatches(tc: TCString, expected: dict[str, Any]) -> list[str]:
    """Every expectation of a vector that the decoded string does not meet."""
    actual = tc.as_dict()
    problems = []
    for key, want in expected.items():
        base, _, suffix = key.partition("__")
        if suffix.startswith("vendor_"):
            got: Any = {
                str(purpose): sorted(kinds)
                for purpose, kinds in tc.vendor_restrictions(int(suffix[7:])).items()
            }
            ok = got == want
        elif base not in actual:
            got, ok = "<missing field>", False
        else:
            got, ok = actual[base], _holds(actual, key, want)
        if not ok:
            problems.append(f"{key}: expected {want!r}, decoded {got!r}")
    return problems


def _holds(record: dict[str, Any], key: str, want: Any) -> bool:
    base, _, suffix = key.partition("__")
    got = record[base]
    checks = {
        "": lambda: got == want,
        "count": lambda: len(got) == want,
        "nonempty": lambda: bool(got) is want,
        "first": lambda: got[: len(want)] == want,
        "last": lambda: got[-len(want) :] == want,
        "includes": lambda: all(any(_item_is(item, w) for item in got) for w in want),
        "excludes": lambda: not any(_item_is(item, w) for item in got for w in want),
    }
    if suffix not in checks:
        raise AssertionError(f"unknown expectation suffix in {key!r}")
    return bool(checks[suffix]())


def _item_is(item: Any, want: Any) -> bool:
    if isinstance(want, dict):
        return isinstance(item, dict) and all(_holds(item, k, v) for k, v in want.items())
    return bool(item == want)


# --- third-party vectors --------------------------------------------------------------


@pytest.mark.parametrize(
    "vector",
    _params(VECTORS.get("vectors", []), [v["id"] for v in VECTORS.get("vectors", [])]),
)
def test_vector(vector: dict[str, Any]) -> None:
    tc_string, expected = vector["tc_string"], vector["expected"]
    if expected.get("expect_error"):
        with pytest.raises(TCFError) as caught:
            decode(tc_string)
        assert tc_string not in str(caught.value) or len(tc_string) < 4
    elif expected.get("version") == 1:
        with pytest.raises(TCFError, match="TCF v1 strings are not supported"):
            decode(tc_string)
    else:
        assert mismatches(decode(tc_string), expected) == []


@pytest.mark.parametrize(
    "reference", _params(REFERENCE_DECODES, [f"{i}-{d}" for i, d, _ in REFERENCE_DECODES])
)
def test_every_field_matches_the_iab_reference_decoders(reference: tuple[str, str, Any]) -> None:
    """Full decodes by @iabtechlabtcf/core and @iabgpp/cmpapi, modulo their documented
    quirks: the former drops restrictions naming no vendor, the latter repeats vendors."""
    vector_id, decoder, theirs = reference
    ours = decode(VECTOR_STRINGS[vector_id]).as_dict()
    drop_empty = decoder == "iabtechlabtcf_core"
    assert _comparable(ours, drop_empty) == _comparable(theirs, drop_empty=False)


def _comparable(decoded: dict[str, Any], drop_empty: bool) -> dict[str, Any]:
    restrictions = [
        {**r, "vendor_ids": sorted(set(r["vendor_ids"]))}
        for r in decoded["publisher_restrictions"]
        if r["vendor_ids"] or not drop_empty
    ]
    return decoded | {
        "created": datetime.fromisoformat(decoded["created"]),
        "last_updated": datetime.fromisoformat(decoded["last_updated"]),
        "publisher_restrictions": restrictions,
    }


@pytest.mark.skipif(not VECTORS, reason=NO_TESTDATA)
def test_as_dict_uses_exactly_the_vector_field_names() -> None:
    spelled = VECTORS["field_conventions"]["names"].split(": ", 1)[1]
    names = {name.split(" ")[0] for name in spelled.split(", ")}
    assert set(decode(VECTOR_STRINGS["java-v2-full-core"]).as_dict()) == names


def test_checker_rejects_wrong_expectations() -> None:
    tc = decode(
        encode(
            core(
                vendors=vendor_section({3, 5, 9}),
                publisher_restrictions=restrictions((1, 1, [(3, 5)])),
            )
        )
    )
    restriction = {"purpose_id": 1, "restriction_type": 1, "vendor_ids__includes": [4]}
    wrong = {
        "cmp_id": 8,
        "vendor_consents": [3, 5],
        "vendor_consents__count": 2,
        "vendor_consents__includes": [4],
        "vendor_consents__excludes": [5],
        "vendor_consents__first": [5],
        "vendor_consents__last": [5],
        "vendor_consents__nonempty": False,
        "vendors_allowed": [1],
        "not_a_field": 1,
        "publisher_restrictions__vendor_3": {"1": [0]},
        "publisher_restrictions__includes": [restriction | {"vendor_ids__excludes": [5]}],
        "publisher_restrictions": [restriction],
    }
    assert len(mismatches(tc, wrong)) == len(wrong)
    right = {
        "vendor_consents__first": [3, 5],
        "vendor_consents__last": [9],
        "publisher_restrictions__vendor_3": {"1": [1]},
        "publisher_restrictions__includes": [restriction | {"vendor_ids__excludes": [6]}],
    }
    assert mismatches(tc, right) == []


# --- a tiny encoder ---------------------------------------------------------------------

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def encode(*segments: str) -> str:
    """Bit strings to base64url segments, 6 bits a character, zero-padded."""
    return ".".join(_base64url(bits) for bits in segments)


def _base64url(bits: str) -> str:
    bits += "0" * (-len(bits) % 6)
    return "".join(ALPHABET[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))


def uint(value: int, width: int) -> str:
    assert 0 <= value < 1 << width
    return format(value, f"0{width}b") if width else ""


def bitfield(ids: set[int] | frozenset[int], width: int) -> str:
    return "".join("1" if i in ids else "0" for i in range(1, width + 1))


def letters(code: str) -> str:
    return uint(ord(code[0]) - 65, 6) + uint(ord(code[1]) - 65, 6)


def range_entries(ranges: list[tuple[int, int]]) -> str:
    entries = [
        "0" + uint(start, 16) if start == end else "1" + uint(start, 16) + uint(end, 16)
        for start, end in ranges
    ]
    return uint(len(entries), 12) + "".join(entries)


def as_ranges(ids: set[int] | frozenset[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for vendor in sorted(ids):
        if ranges and ranges[-1][1] == vendor - 1:
            ranges[-1] = (ranges[-1][0], vendor)
        else:
            ranges.append((vendor, vendor))
    return ranges


def vendor_section(
    ids: set[int] | frozenset[int], *, ranges: bool = False, max_id: int | None = None
) -> str:
    top = max(ids, default=0) if max_id is None else max_id
    if ranges:
        return uint(top, 16) + "1" + range_entries(as_ranges(ids))
    return uint(top, 16) + "0" + bitfield(ids, top)


def restrictions(*entries: tuple[int, int, list[tuple[int, int]]]) -> str:
    body = "".join(uint(p, 6) + uint(kind, 2) + range_entries(r) for p, kind, r in entries)
    return uint(len(entries), 12) + body


EMPTY_VENDORS = vendor_section(set())


def core(
    *,
    version: int = 2,
    created: int = 17_000_000_007,
    last_updated: int = 17_000_000_010,
    cmp_id: int = 300,
    cmp_version: int = 5,
    consent_screen: int = 3,
    language: str = "FR",
    vendor_list_version: int = 120,
    policy_version: int = 4,
    service_specific: bool = True,
    non_standard: bool = False,
    special_features: frozenset[int] = frozenset({2}),
    purposes: frozenset[int] = frozenset({1, 3}),
    purposes_li: frozenset[int] = frozenset({2, 7}),
    purpose_one: bool = False,
    country: str = "DE",
    vendors: str = EMPTY_VENDORS,
    vendors_li: str = EMPTY_VENDORS,
    publisher_restrictions: str = restrictions(),
) -> str:
    fields = [
        uint(version, 6),
        uint(created, 36),
        uint(last_updated, 36),
        uint(cmp_id, 12),
        uint(cmp_version, 12),
        uint(consent_screen, 6),
        letters(language),
        uint(vendor_list_version, 12),
        uint(policy_version, 6),
        str(int(service_specific)),
        str(int(non_standard)),
        bitfield(special_features, 12),
        bitfield(purposes, 24),
        bitfield(purposes_li, 24),
        str(int(purpose_one)),
        letters(country),
    ]
    return "".join(fields) + vendors + vendors_li + publisher_restrictions


def publisher_tc(
    consents: frozenset[int] = frozenset(),
    li: frozenset[int] = frozenset(),
    custom: tuple[frozenset[int], frozenset[int], int] = (frozenset(), frozenset(), 0),
) -> str:
    custom_consents, custom_li, count = custom
    return (
        "011"
        + bitfield(consents, 24)
        + bitfield(li, 24)
        + uint(count, 6)
        + bitfield(custom_consents, count)
        + bitfield(custom_li, count)
    )


# --- own strings ----------------------------------------------------------------------


def test_core_fields_decode_to_what_was_encoded() -> None:
    tc = decode(encode(core(purpose_one=True, non_standard=True)))
    assert tc.as_dict() | {"vendor_consents": None} == {
        "version": 2,
        "created": "2023-11-14T22:13:20.700Z",
        "last_updated": "2023-11-14T22:13:21Z",
        "cmp_id": 300,
        "cmp_version": 5,
        "consent_screen": 3,
        "consent_language": "FR",
        "vendor_list_version": 120,
        "policy_version": 4,
        "is_service_specific": True,
        "use_non_standard_stacks": True,
        "special_feature_optins": [2],
        "purpose_consents": [1, 3],
        "purpose_legitimate_interests": [2, 7],
        "purpose_one_treatment": True,
        "publisher_country_code": "DE",
        "vendor_consents": None,
        "vendor_legitimate_interests": [],
        "publisher_restrictions": [],
        "vendors_disclosed": [],
        "vendors_allowed": [],
        "publisher_consents": [],
        "publisher_legitimate_interests": [],
        "num_custom_purposes": 0,
        "publisher_custom_consents": [],
        "publisher_custom_legitimate_interests": [],
    }
    assert tc.created == datetime(2023, 11, 14, 22, 13, 20, 700_000, tzinfo=UTC)


@pytest.mark.parametrize(
    "vendors",
    [set(), {1}, {65535}, {1, 2, 3, 4, 5, 9, 700}, set(range(1, 1200, 3)), set(range(2, 900))],
    ids=["none", "first", "last-possible", "mixed", "sparse", "dense"],
)
def test_bitfield_and_range_encodings_give_the_same_vendors(vendors: set[int]) -> None:
    as_bits = decode(
        encode(
            core(vendors=vendor_section(vendors), vendors_li=vendor_section(vendors, ranges=True))
        )
    )
    as_ranges_ = decode(encode(core(vendors=vendor_section(vendors, ranges=True))))
    assert as_bits.vendor_consents == as_ranges_.vendor_consents == vendors
    assert as_bits.vendor_legitimate_interests == vendors


@given(
    purposes=st.frozensets(st.integers(1, 24)),
    purposes_li=st.frozensets(st.integers(1, 24)),
    features=st.frozensets(st.integers(1, 12)),
    vendors=st.frozensets(st.integers(1, 3000), max_size=400),
    vendors_li=st.frozensets(st.integers(1, 65535), max_size=50),
    ranges=st.booleans(),
    pad=st.booleans(),
)
def test_encode_decode_round_trips(
    purposes: frozenset[int],
    purposes_li: frozenset[int],
    features: frozenset[int],
    vendors: frozenset[int],
    vendors_li: frozenset[int],
    ranges: bool,
    pad: bool,
) -> None:
    text = encode(
        core(
            purposes=purposes,
            purposes_li=purposes_li,
            special_features=features,
            vendors=vendor_section(vendors, ranges=ranges),
            vendors_li=vendor_section(vendors_li, ranges=not ranges),
        ),
        "001" + vendor_section(vendors | vendors_li, ranges=ranges),
    )
    missing = -len(text.rpartition(".")[2]) % 4
    if pad and missing <= 2:  # what a byte-oriented base64 encoder would add
        text += "=" * missing
    tc = decode(text)
    assert tc.purpose_consents == purposes
    assert tc.purpose_legitimate_interests == purposes_li
    assert tc.special_feature_optins == features
    assert tc.vendor_consents == vendors
    assert tc.vendor_legitimate_interests == vendors_li
    assert tc.vendors_disclosed == vendors | vendors_li


def test_optional_segments_in_any_order() -> None:
    text = encode(
        core(),
        publisher_tc(frozenset({1, 24}), frozenset({2}), (frozenset({3}), frozenset({1, 3}), 3)),
        "010" + vendor_section({4, 8}, ranges=True),
        "001" + vendor_section({4, 8, 15}),
    )
    tc = decode(text)
    assert (tc.vendors_disclosed, tc.vendors_allowed) == ({4, 8, 15}, {4, 8})
    assert (tc.publisher_consents, tc.publisher_legitimate_interests) == ({1, 24}, {2})
    assert tc.num_custom_purposes == 3
    assert tc.publisher_custom_consents == {3}
    assert tc.publisher_custom_legitimate_interests == {1, 3}


def test_publisher_restrictions_merge_repeats_and_answer_per_vendor() -> None:
    tc = decode(
        encode(
            core(
                publisher_restrictions=restrictions(
                    (7, 1, [(32, 32), (40, 42)]),
                    (2, 0, [(1, 40)]),
                    (7, 1, [(32, 33)]),
                    (2, 2, []),
                )
            )
        )
    )
    assert [r.as_dict() for r in tc.publisher_restrictions] == [
        {"purpose_id": 2, "restriction_type": 0, "vendor_ids": list(range(1, 41))},
        {"purpose_id": 2, "restriction_type": 2, "vendor_ids": []},
        {"purpose_id": 7, "restriction_type": 1, "vendor_ids": [32, 33, 40, 41, 42]},
    ]
    assert tc.vendor_restrictions(32) == {
        2: {RestrictionType.NOT_ALLOWED},
        7: {RestrictionType.REQUIRE_CONSENT},
    }
    assert tc.vendor_restrictions(41) == {7: {RestrictionType.REQUIRE_CONSENT}}
    assert tc.vendor_restrictions(99) == {}


def test_padding_is_optional_and_decodes_the_same() -> None:
    bare = encode(core(vendors=vendor_section(set(range(1, 13)))))
    assert len(bare) % 4, "the test needs a string whose length is not a multiple of 4"
    padded = bare + "=" * (-len(bare) % 4)
    assert decode(padded) == decode(bare)


def test_decoded_string_is_immutable() -> None:
    tc = decode(encode(core()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        tc.cmp_id = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(text, message, id=message)
        for text, message in [
            (encode(core(version=1)), "TCF v1 strings are not supported"),
            ("BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASAAAAAAAAAA", "TCF v1 strings are not supported"),
            (encode(core(version=3)), "version 3 is not supported"),
            ("", "empty"),
            (encode(core()) + ".", "segment 2 is empty"),
            (encode(core()).replace("A", "+", 1), "not base64url"),
            (encode(core()) + "!", "not base64url"),
            ("C" + "é" * 10, "not base64url"),
            (encode(core()) + "===", "not base64url"),
            ("CAAAA=", "padding"),
            (encode(core(), "000" + EMPTY_VENDORS), "segment type 0"),
            (encode(core(), "100" + EMPTY_VENDORS), "segment type 4"),
            (encode(core(), "001" + EMPTY_VENDORS, "001" + EMPTY_VENDORS), "more than once"),
            (encode(core(), "001" + uint(40, 16) + "0" + "1" * 10), "segment 2 is truncated"),
            (encode(core(language="E[")), "consent_language"),
            (encode(core(vendors=uint(10, 16) + "1" + range_entries([(0, 3)]))), "range 0-3"),
            (encode(core(vendors=uint(10, 16) + "1" + range_entries([(5, 3)]))), "range 5-3"),
            (encode(core(vendors=uint(10, 16) + "1" + range_entries([(5, 6), (1, 2)]))), "order"),
            (encode(core(vendors=uint(10, 16) + "1" + range_entries([(1, 5), (5, 6)]))), "overlap"),
            (encode(core(vendors=vendor_section({3, 11}, ranges=True, max_id=10))), "MaxVendorId"),
            (encode(core(publisher_restrictions=restrictions((1, 3, [(1, 1)])))), "type 3"),
            (
                encode(core(publisher_restrictions=restrictions((1, 1, [(1, 65535), (1, 65535)])))),
                "more than 65536 vendor ids",
            ),
            ("C" + "A" * 70_000, "longer than"),
        ]
    ],
)
def test_invalid_strings_are_rejected_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(TCFError, match=message) as caught:
        decode(text)
    assert len(str(caught.value)) < 100
    assert text[:20] not in str(caught.value) or not text


def test_non_strings_are_rejected() -> None:
    with pytest.raises(TCFError, match="must be a str"):
        decode(b"CAAAAAAAAAAAAAAAAAENAACAAAAAAAAAAAAAAAAAAAAA")  # type: ignore[arg-type]


def test_every_truncation_that_loses_bits_is_rejected() -> None:
    bits = core(
        vendors=vendor_section({2, 40}, ranges=True),
        vendors_li=vendor_section({5, 6, 90}),
        publisher_restrictions=restrictions((1, 1, [(2, 2)])),
    )
    text = encode(bits)
    decode(text)
    for length in range(1, len(bits) // 6):
        with pytest.raises(TCFError, match="truncated"):
            decode(text[:length])
