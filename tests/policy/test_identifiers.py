"""Subject keys: the same keyed hash every time (stores and the ledger find subjects by it),
whether computed or remembered."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.policy import identifiers
from gateway.policy.identifiers import SubjectKeys

KEY = b"k" * 32


def _expected(kind: str, value: str) -> str:
    digest = hmac.new(KEY, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{identifiers.PREFIXES[kind]}_{digest[:40]}"


@given(st.sampled_from(sorted(identifiers.PREFIXES)), st.text(max_size=400))
def test_a_remembered_key_is_the_keyed_hash(kind: str, value: str) -> None:
    keys = SubjectKeys(KEY)
    assert keys.key(kind, value) == _expected(kind, value)
    assert keys.key(kind, value) == _expected(kind, value)


def test_keys_differ_by_kind_and_by_gateway_key() -> None:
    keys, other = SubjectKeys(KEY), SubjectKeys(b"x" * 32)
    assert keys.key("user", "u1") != keys.key("anon", "u1")
    assert keys.key("user", "u1") != other.key("user", "u1")


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identifiers, "CACHE_SIZE", 3)
    keys = SubjectKeys(KEY)
    for n in range(10):
        assert keys.key("anon", f"a{n}") == _expected("anon", f"a{n}")
    assert len(keys._known) <= 3
    long_id = "x" * (identifiers.MAX_CACHED_IDENTIFIER + 1)
    assert keys.key("user", long_id) == _expected("user", long_id)
    assert all(long_id not in message for message in keys._known)


def test_event_keys_in_order_without_a_zero_ad_id() -> None:
    keys = SubjectKeys(KEY)
    event = {"userId": "u1", "anonymousId": "a1",
             "context": {"device": {"advertisingId": "00000000-0000-0000-0000-000000000000"}}}
    assert keys.for_event(event) == (_expected("user", "u1"), _expected("anon", "a1"))
    event["context"]["device"]["advertisingId"] = "AB-12"
    assert keys.for_event(event)[-1] == _expected("adid", "ab-12")
