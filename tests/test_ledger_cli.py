"""The provision ledger (APPI art. 29) against real deliveries: one record per delivered
payload, matched by idempotency key to what the receivers got, with the destination, its
country, purposes, the categories of the fields actually delivered, the subject key and the
policy version; `gateway ledger --subject` prints one subject's records and no other's."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.delivery.e2e import cli, json_lines, ledger, post, subject_key, wait_until
from tests.support.configs import webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

ALICE = ("--subject", "alice")
FIELDS_A = ["userId", "event", "properties.plan", "traits.email"]


def identify(message_id: str, user_id: str, email: str) -> dict[str, Any]:
    return {
        "type": "identify",
        "messageId": message_id,
        "userId": user_id,
        "traits": {"email": email},
    }


def track(message_id: str, **ids: str) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "messageId": message_id,
        "properties": {"plan": "pro", "total": 3},
        **ids,
    }


@pytest.mark.slow
def test_ledger_records_match_deliveries_and_are_queryable_by_subject(
    config_factory: Callable[..., Path],
    receiver_factory: Callable[[], Receiver],
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    hook_a, hook_b = receiver_factory(), receiver_factory()
    config = config_factory(
        destinations=[
            webhook(
                "hook-a",
                hook_a.url,
                country="US",
                fields=FIELDS_A,
                transforms={"traits.email": "sha256"},
            ),
            webhook(
                "hook-b", hook_b.url, purposes=["analytics", "service"], events={"types": ["track"]}
            ),
        ],
        policy={"version": "ledger-test-3"},
    )
    gateway = gateway_factory(config)
    events = [
        track("t-alice-1", userId="alice"),
        track("t-alice-2", userId="alice", anonymousId="anon-alice"),
        identify("i-alice", "alice", "Alice@Example.com"),
        track("t-bob", userId="bob"),
        track("t-anon", anonymousId="anon-7"),
    ]
    assert post(gateway, *events).status_code == 200
    deliveries = 5 + 4  # hook-a gets every event, hook-b the four tracks
    wait_until(lambda: len(ledger(config)) >= deliveries, 10, "the ledger rows")
    rows = ledger(config)

    # One to one with what the receivers got, by idempotency key (= webhook-id).
    received = [r.headers["webhook-id"] for r in [*hook_a.requests, *hook_b.requests]]
    assert len(rows) == len(received) == deliveries
    assert sorted(r["idempotency_key"] for r in rows) == sorted(received)
    by_key = {r["idempotency_key"]: r for r in rows}
    for receiver, name in ((hook_a, "hook-a"), (hook_b, "hook-b")):
        for request in receiver.requests:
            row = by_key[request.headers["webhook-id"]]
            assert row["destination"] == name
            assert row["country"] == ("US" if name == "hook-a" else "JP")
            assert row["purposes"] == ("analytics" if name == "hook-a" else "analytics service")
            assert row["policy_version"] == "ledger-test-3"

    categories = {(r["destination"], r["message_id"]): r["categories"] for r in rows}
    assert categories[("hook-a", "t-alice-1")] == "browsing_history identifiers"
    assert categories[("hook-a", "i-alice")] == "identifiers profile"
    assert categories[("hook-a", "t-anon")] == "browsing_history"  # no userId was delivered
    assert categories[("hook-b", "t-bob")] == "browsing_history"

    alice = subject_key(config, "user", "alice")
    subjects = {r["message_id"]: r["subject_key"] for r in rows}
    assert subjects["t-alice-1"] == subjects["i-alice"] == subjects["t-alice-2"] == alice
    assert subjects["t-bob"] == subject_key(config, "user", "bob")
    assert subjects["t-anon"] == subject_key(config, "anon", "anon-7")
    # The ledger holds keyed hashes of identifiers, never the identifiers.
    stored = [{k: v for k, v in r.items() if k != "message_id"} for r in rows]
    assert "alice" not in repr(stored) and "anon-7" not in repr(stored)

    # The command, as an operator runs it.
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "ledger", "--json", "--config", str(config), *ALICE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    printed = json_lines(done.stdout)
    assert sorted((r["destination"], r["message_id"]) for r in printed) == [
        ("hook-a", "i-alice"),
        ("hook-a", "t-alice-1"),
        ("hook-a", "t-alice-2"),
        ("hook-b", "t-alice-1"),
        ("hook-b", "t-alice-2"),
    ]
    assert {r["subject_key"] for r in printed} == {alice}
    assert "5 provision record(s)" in done.stderr
    first = printed[0]
    assert set(first) == {
        "delivered_at",
        "destination",
        "country",
        "purposes",
        "categories",
        "subject_key",
        "message_id",
        "idempotency_key",
        "policy_version",
        "consent",
        "basis",
    }
    assert first["delivered_at"].endswith("Z")
    assert first["consent"]["analytics"] is True
    assert first["basis"]["analytics"] == "purpose_default"

    def subject(*args: str) -> list[str]:
        code, out = cli("ledger", "--config", str(config), "--json", *args)
        assert code == 0
        return sorted(f"{r['destination']}:{r['message_id']}" for r in json_lines(out))

    assert subject("--subject", "bob") == ["hook-a:t-bob", "hook-b:t-bob"]
    assert subject("--subject", "anon-alice") == ["hook-a:t-alice-2", "hook-b:t-alice-2"]
    assert subject("--subject", "anon-7") == ["hook-a:t-anon", "hook-b:t-anon"]
    assert subject("--subject", "nobody") == []
    assert subject("--subject", "alice", "--destination", "hook-b") == [
        "hook-b:t-alice-1",
        "hook-b:t-alice-2",
    ]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert subject("--subject", "bob", "--since", tomorrow) == []
    assert subject("--subject", "bob", "--since", yesterday, "--until", tomorrow) == [
        "hook-a:t-bob",
        "hook-b:t-bob",
    ]
    assert len(subject("--destination", "hook-a")) == 5
