"""sha256 normalisation against Meta's published customer-information rules (Conversions
API "Customer Information Parameters": trim, lower-case; phone digits only with the country
code; do not hash twice). Expected digests are computed here with hashlib."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from gateway.config.schema import Rename
from gateway.route.transforms import CALLING_CODES, Transformer, normalise_phone, sha256_value
from tests.conftest import testdata as shared_testdata

JP = CALLING_CODES["JP"]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hashed(value: Any, path: str = "traits.email", home: str = JP) -> Any:
    return Transformer({path: "sha256"}, home).apply(_nest(path, value))


def _nest(path: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for key in reversed(path.split(".")):
        out = {key: out}
    return dict(out)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (" John.Doe@Example.COM ", "john.doe@example.com"),
        ("\tMARY@EXAMPLE.JP\n", "mary@example.jp"),
        ("nicholas.aguilar@segment.com", "nicholas.aguilar@segment.com"),
    ],
)
def test_email_is_trimmed_and_lower_cased_before_hashing(raw: str, normalised: str) -> None:
    assert hashed(raw) == {"traits": {"email": digest(normalised)}}


@pytest.mark.parametrize(
    ("raw", "home", "normalised"),
    [
        ("+1 (650) 555-1212", "US", "16505551212"),
        ("+1 (650) 555-1212", "JP", "16505551212"),
        ("090-1234-5678", "JP", "819012345678"),
        ("03 1234 5678", "JP", "81312345678"),
        ("+81 90-1234-5678", "US", "819012345678"),
        ("0044 20 7946 0958", "JP", "442079460958"),
        ("+61 (2) 9374 4000", "JP", "61293744000"),
    ],
)
def test_phone_keeps_digits_with_country_code(raw: str, home: str, normalised: str) -> None:
    code = CALLING_CODES[home]
    assert normalise_phone(raw, code) == normalised
    assert hashed(raw, "traits.phone", code) == {"traits": {"phone": digest(normalised)}}


def test_a_phone_shaped_value_is_normalised_whatever_its_key() -> None:
    assert hashed("+1 (650) 555-1212", "properties.contact") == {
        "properties": {"contact": digest("16505551212")}
    }


def test_a_phone_given_as_a_number_is_hashed_as_its_digits() -> None:
    assert hashed(16505551212, "traits.phone") == {"traits": {"phone": digest("16505551212")}}


def test_names_and_cities_are_trimmed_and_lower_cased() -> None:
    assert hashed("  Gotham ", "traits.city") == {"traits": {"city": digest("gotham")}}


@pytest.mark.parametrize("value", [digest("a@example.com"), digest("a@example.com").upper()])
def test_an_existing_digest_is_not_hashed_again(value: str) -> None:
    assert hashed(value) == {"traits": {"email": value.lower()}}
    assert sha256_value(f" {value} ", "traits.email", JP) == value.lower()


def test_non_text_values_are_left_as_they_are() -> None:
    assert sha256_value(None, "traits.email", JP) is None
    assert sha256_value(True, "traits.email", JP) is True


def test_transforms_do_not_change_the_input() -> None:
    inner = {"email": "A@B.com", "name": "n"}
    payload = {"traits": inner, "properties": {"list": [{"email": "c@d.com"}]}}
    snapshot = json.dumps(payload)
    transformer = Transformer(
        {
            "traits.email": "sha256",
            "traits.name": Rename(rename="profile.name"),
            "properties.list.email": "drop",
        },
        JP,
    )
    out = transformer.apply(payload)
    assert json.dumps(payload) == snapshot
    assert out == {"traits": {"email": digest("a@b.com")}, "profile": {"name": "n"}}


def _resolve(event: dict[str, Any], jsonpath: str) -> Any:
    node: Any = event
    for key in jsonpath.removeprefix("$.").split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def meta_email_cases() -> list[tuple[str, str, str]]:
    """(case id, plain email in the input event, expected user_data.em) of every Meta CAPI
    body whose mapping takes the email from a plain-text event field."""
    path = shared_testdata("destination-payloads") / "meta_conversions_api_bodies.json"
    found = []
    for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
        source = ((case.get("mapping") or {}).get("user_data") or {}).get("email") or {}
        email = _resolve(case["segment_event_overrides"], source.get("@path", ""))
        body = case.get("request_body")
        if not isinstance(email, str) or "@" not in email or not isinstance(body, dict):
            continue
        for item in body.get("data", []):
            expected = item.get("user_data", {}).get("em")
            if isinstance(expected, str):
                found.append((case["id"], email, expected))
    return found


def test_sha256_matches_the_emails_in_meta_conversions_api_bodies() -> None:
    cases = meta_email_cases()
    assert len(cases) >= 10
    for case_id, email, expected in cases:
        assert hashed(email) == {"traits": {"email": expected}}, case_id
        assert expected == digest(email.strip().lower()), case_id
