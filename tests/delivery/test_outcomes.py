"""End to end: a real `gateway serve` process delivers one event to receivers that answer
200, 500, 429 + Retry-After, 400, 410, 501, hang or close, and each outcome follows the
rules: deliver once, retry (honouring Retry-After) until the receiver recovers, give up
after max attempts and max age, or dead-letter at once. Dead letters are listed, replayed
with the same webhook-id, and dropped with the CLI; the ledger matches the deliveries."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.route.router import idempotency_key
from tests.delivery.e2e import (
    DELIVERY,
    cli,
    dead_letters,
    json_lines,
    ledger,
    post,
    subject_key,
    timed,
    track,
    wait_until,
    webhook_ids,
)
from tests.destinations.test_webhook import verify
from tests.support.configs import webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Answer, Receiver

PLAIN_SECRET = "a plain shared secret"
WHSEC_KEY = b"\x00\x01 sixteen+ bytes \xff"
WHSEC = "whsec_" + base64.b64encode(WHSEC_KEY).decode()
MESSAGE = "m-outcomes-1"


@pytest.mark.slow
def test_each_answer_follows_the_delivery_rules(
    config_factory: Callable[..., Path],
    make_receiver: Callable[[], Receiver],
    gateway_factory: Callable[..., GatewayProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scripts = {
        "ok": [],
        "flaky": [Answer(500), Answer(500)],
        "throttled": [Answer(429, {"retry-after": "1"})],
        "hung": [Answer(hang=1.6)],
        "closer": [Answer(close=True)],
        "bad": [Answer(400)],
        "gone": [Answer(410)],
        "unsupported": [Answer(501)],
        "down": [],
    }
    receivers = {name: make_receiver() for name in scripts}
    for name, answers in scripts.items():
        receivers[name].script(*answers)
    receivers["down"].default = Answer(500)
    throttled = timed(receivers["throttled"])
    extra: dict[str, dict[str, Any]] = {
        "ok": {"secret_env": "OK_SECRET", "country": "US", "fields": ["userId", "event"]},
        "flaky": {"secret_env": "FLAKY_SECRET"},
    }
    config = config_factory(
        destinations=[webhook(n, r.url, **extra.get(n, {})) for n, r in receivers.items()],
        # The breaker would hold "down" back before it can give up: keep it out of the way.
        gateway={"delivery": {**DELIVERY, "breaker_failures": 50}},
        policy={"version": "policy-test-7"},
    )
    env = {"OK_SECRET": WHSEC, "FLAKY_SECRET": PLAIN_SECRET}
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # the CLI commands below load the same config
    gateway = gateway_factory(config, env=env)
    posted = time.time()
    assert post(gateway, track(MESSAGE, "user-42")).status_code == 200

    delivered = {"ok", "flaky", "throttled", "hung", "closer"}
    wait_until(lambda: len(ledger(config)) == len(delivered), 10, "five deliveries")
    wait_until(lambda: len(dead_letters(config)) == 4, 10, "four dead letters")
    # The hung request is recorded when its handler wakes up, after the retry went through.
    wait_until(lambda: len(receivers["hung"].requests) == 2, 5, "the hung request")
    time.sleep(0.3)  # anything that would wrongly retry has had its backoff by now

    keys = {name: idempotency_key(MESSAGE, name) for name in receivers}
    counts = {name: len(r.requests) for name, r in receivers.items()}
    assert counts["ok"] == 1
    assert counts["flaky"] == 3
    assert counts["throttled"] == 2
    assert counts["hung"] == 2
    assert counts["closer"] == 1  # the closed attempt never reached the handler's log
    assert counts["bad"] == counts["gone"] == counts["unsupported"] == 1
    assert counts["down"] >= 3
    for name, receiver in receivers.items():
        assert set(webhook_ids(receiver)) == {keys[name]}, name
        assert all(r.json()["messageId"] == MESSAGE for r in receiver.requests if name != "ok")

    # Signed destinations: every attempt verifies, with a plain or a whsec_ secret.
    assert verify(receivers["ok"].requests[0], WHSEC_KEY)
    assert all(verify(r, PLAIN_SECRET.encode()) for r in receivers["flaky"].requests)
    assert "webhook-signature" not in receivers["bad"].requests[0].headers
    # 429 + Retry-After: 1 → the next attempt waits at least a second.
    assert throttled.times[1] - throttled.times[0] >= 0.98

    letters = {d["destination"]: d for d in dead_letters(config)}
    assert letters["bad"]["reason"] == "destination answered 400"
    assert letters["gone"]["reason"] == "destination answered 410"
    assert letters["unsupported"]["reason"] == "destination answered 501"
    assert letters["bad"]["attempts"] == 1
    down = letters["down"]
    assert down["reason"].startswith(f"gave up after {down['attempts']} attempts")
    assert down["attempts"] >= 3
    assert down["dead_at"] - posted >= 1.0

    rows = {row["destination"]: row for row in ledger(config)}
    assert set(rows) == delivered
    assert {n: r["idempotency_key"] for n, r in rows.items()} == {n: keys[n] for n in delivered}
    user_key = subject_key(config, "user", "user-42")
    for name, row in rows.items():
        assert row["message_id"] == MESSAGE
        assert row["subject_key"] == user_key
        assert row["purposes"] == "analytics"
        assert row["policy_version"] == "policy-test-7"
        assert row["country"] == ("US" if name == "ok" else "JP")
        assert row["categories"] == (
            "browsing_history identifiers" if name == "ok" else "browsing_history"
        )
        assert row["delivered_at"] >= posted

    # The CLI lists the dead letters with the keys the receivers saw.
    code, out = cli("deadletter", "list", "--config", str(config), "--json")
    listed = {row["destination"]: row for row in json_lines(out)}
    assert code == 0 and set(listed) == {"bad", "gone", "unsupported", "down"}
    assert all(row["idempotency_key"] == keys[name] for name, row in listed.items())

    # Replay one destination: delivered now (its receiver answers 200), same webhook-id.
    assert cli("deadletter", "replay", "--config", str(config), "--destination", "bad")[0] == 0
    wait_until(lambda: len(receivers["bad"].requests) == 2, 10, "the replayed delivery")
    assert webhook_ids(receivers["bad"]) == [keys["bad"], keys["bad"]]
    # Replay by id.
    unsupported_id = listed["unsupported"]["id"]
    assert cli("deadletter", "replay", "--config", str(config), "--id", unsupported_id)[0] == 0
    wait_until(lambda: len(receivers["unsupported"].requests) == 2, 10, "the replay by id")
    assert webhook_ids(receivers["unsupported"])[1] == keys["unsupported"]
    wait_until(lambda: len(ledger(config)) == 7, 10, "ledger rows of the replays")

    # Drop one destination's dead letters, then the rest.
    code, out = cli("deadletter", "drop", "--config", str(config), "--destination", "gone")
    assert (code, out.strip()) == (0, "dropped 1 dead letter(s)")
    assert [d["destination"] for d in dead_letters(config)] == ["down"]
    assert cli("deadletter", "drop", "--config", str(config), "--all")[1].strip() == (
        "dropped 1 dead letter(s)"
    )
    assert cli("deadletter", "list", "--config", str(config))[1] == ""
    time.sleep(0.3)
    assert len(receivers["gone"].requests) == 1

    # One ledger row per delivery the gateway saw succeed, keyed like the webhook-id.
    final = ledger(config)
    assert sorted(r["idempotency_key"] for r in final) == sorted(
        keys[n] for n in (*delivered, "bad", "unsupported")
    )
