"""Console session cookies: signed, expiring, revocable, tied to a configured token."""

from __future__ import annotations

import hashlib

from gateway.config.schema import AdminToken
from gateway.console.session import Sessions

TOKENS = [AdminToken(name="ops", sha256=hashlib.sha256(b"t").hexdigest(), scopes=["config:read"])]


def test_a_cookie_reads_back_as_its_session_with_the_tokens_scopes() -> None:
    sessions = Sessions(b"k" * 32)
    session = sessions.read(sessions.issue("ops", 5), TOKENS)
    assert session is not None
    assert session.name == "ops" and session.may("config:read") and not session.may("debug:read")
    assert sessions.csrf_ok(session, sessions.csrf(session))
    assert not sessions.csrf_ok(session, "0" * 32)


def test_tampered_foreign_expired_revoked_or_unconfigured_cookies_read_as_nothing() -> None:
    sessions = Sessions(b"k" * 32)
    value = sessions.issue("ops", 5)
    encoded = value.rpartition(".")[0]
    assert sessions.read(encoded + "." + "0" * 64, TOKENS) is None
    assert Sessions(b"x" * 32).read(value, TOKENS) is None
    assert sessions.read(sessions.issue("ops", -1), TOKENS) is None  # expired a minute ago
    assert sessions.read(value, []) is None
    session = sessions.read(value, TOKENS)
    assert session is not None
    sessions.revoke(session)
    assert sessions.read(value, TOKENS) is None
    assert sessions.read("garbage", TOKENS) is None
    assert sessions.read("!!!.abc", TOKENS) is None
