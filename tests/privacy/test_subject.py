"""Subject and form tokens without a server: what a token proves, for how long, and what
it never accepts."""

from __future__ import annotations

import base64
import hashlib
import hmac

import orjson
import pytest

from gateway.privacy.subject import (
    FORM_LIFETIME,
    LIFETIME_SECONDS,
    Subject,
    SubjectTokens,
    cookie_header,
)

NOW = 1_800_000_000.0
TOKENS = SubjectTokens(b"unit-test-key")


def signed(claims: object) -> str:
    """A token over arbitrary claims with TOKENS' key (as if the gateway had issued it)."""
    key = hmac.new(b"unit-test-key", b"subject-token-v1", hashlib.sha256).digest()
    body = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"v1.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_a_token_names_its_subject_until_it_expires() -> None:
    token = TOKENS.issue("anon-1", "user-1", now=NOW)
    assert TOKENS.verify(token, now=NOW) == Subject("anon-1", "user-1", int(NOW))
    assert TOKENS.verify(token, now=NOW + LIFETIME_SECONDS) is not None
    assert TOKENS.verify(token, now=NOW + LIFETIME_SECONDS + 1) is None
    assert signed({"a": "anon-1", "u": "user-1", "t": int(NOW)}) == token  # the format is known


@pytest.mark.parametrize(
    "claims",
    [
        {"a": None, "u": None, "t": int(NOW)},
        {"a": 5, "u": None, "t": int(NOW)},
        {"a": "x", "u": ["y"], "t": int(NOW)},
        {"a": "x", "u": None, "t": "1800000000"},
        {"a": "x", "u": None},
        ["x", None, int(NOW)],
    ],
)
def test_signed_but_malformed_claims_are_refused(claims: object) -> None:
    assert TOKENS.verify(signed(claims), now=NOW) is None


@pytest.mark.parametrize(
    "token", [None, "", "v1", "v1..", "v1.e30", "v1.e30.", "v1.%%%.abc", "v1.é.é", "x" * 3000]
)
def test_garbage_is_refused_not_raised(token: str | None) -> None:
    assert TOKENS.verify(token, now=NOW) is None


def test_form_tokens_are_bound_to_the_subject_and_expire() -> None:
    alice, bob = Subject("alice", None, int(NOW)), Subject("bob", None, int(NOW))
    form = TOKENS.form_token(alice, now=NOW)
    nonce = TOKENS.check_form_token(alice, form, now=NOW + 5)
    assert nonce is not None and nonce in form
    # The same person with a re-issued cookie (a later `t`) keeps the form.
    assert TOKENS.check_form_token(Subject("alice", None, int(NOW) + 60), form, now=NOW) == nonce
    assert TOKENS.check_form_token(bob, form, now=NOW) is None
    assert TOKENS.check_form_token(Subject("alice", "alice", int(NOW)), form, now=NOW) is None
    assert TOKENS.check_form_token(alice, form, now=NOW + FORM_LIFETIME + 1) is None
    assert TOKENS.check_form_token(alice, form, now=NOW - 10) is None  # issued in the future
    assert SubjectTokens(b"other").check_form_token(alice, form, now=NOW) is None
    for broken in (None, "", "1.2", "1.2.3.4", form[:-1] + "é", "x" + form):
        assert TOKENS.check_form_token(alice, broken, now=NOW) is None


def test_ids_cannot_be_shifted_between_claims() -> None:
    """("a|b", None) and ("a", "b") must not share a form token."""
    form = TOKENS.form_token(Subject("a|b", None, 0), now=NOW)
    assert TOKENS.check_form_token(Subject("a", "b", 0), form, now=NOW) is None


def test_cookie_attributes() -> None:
    assert cookie_header("tok", secure=False) == (
        f"gw_sid=tok; Path=/; Max-Age={LIFETIME_SECONDS}; HttpOnly; SameSite=Lax"
    )
    assert cookie_header("tok", secure=True).endswith("; SameSite=Lax; Secure")
