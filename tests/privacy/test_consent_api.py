"""PUT /v1/consent: partial updates, the full state in every answer, enforcement from the very
next event, pending deliveries withdrawn with the consent, per-vendor refusals."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest

from gateway.cli import main
from gateway.destinations.registry import read_config
from gateway.privacy.notice import notice_version
from tests.privacy.stack import POLICY_VERSION, Stack, new_id


def test_partial_updates_leave_omitted_keys_unchanged(stack: Stack) -> None:
    token = stack.token_for(new_id("anon"))
    initial = stack.consent(token).json()
    assert initial == {
        "purposes": {"analytics": True, "advertising": True},
        "decided_by": {"analytics": "default", "advertising": "default"},
        "advertising_id": True,
        "vendors": {"stats": True, "stats2": True, "ads": True},
        "suspended": {"use": False, "provision": False},
        "policy_version": POLICY_VERSION,
        "gpc": False,
        "notice_version": notice_version(read_config(stack.config_dir)),
    }

    steps: list[dict[str, Any]] = [
        {"purposes": {"advertising": False}},
        {"advertising_id": False},
        {"vendors": {"stats2": False}},
        {"purposes": {"analytics": False}},
        {},
        {"purposes": {"advertising": True}, "vendors": {"ads": False}},
    ]
    expected = copy.deepcopy(initial)
    for body in steps:
        for section in ("purposes", "vendors"):
            expected[section].update(body.get(section, {}))
        for purpose in body.get("purposes", {}):
            expected["decided_by"][purpose] = "preferences"
        expected["advertising_id"] = body.get("advertising_id", expected["advertising_id"])
        answer = stack.consent(token, body)
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        assert answer.json() == expected, body
        assert stack.consent(token).json() == expected


def test_invalid_updates_are_refused_and_change_nothing(stack: Stack) -> None:
    token = stack.token_for(new_id("anon"))
    before = stack.consent(token).json()
    bodies: list[Any] = [
        {"purposes": {"advertising": "no"}},
        {"purposes": {"service": False}},  # providing the service cannot be refused while used
        {"purposes": {"advertising": False, "unknown": False}},
        {"vendors": {"not-configured": False}},
        {"advertising_id": 0},
        {"tracking": False},
        [],
    ]
    for body in bodies:
        answer = stack.consent(token, body)
        assert answer.status_code == 400, body
        assert answer.json()["error"]
    assert stack.consent(token).json() == before


def test_a_write_takes_effect_for_the_very_next_event(stack: Stack) -> None:
    anonymous_id = new_id("anon")
    token = stack.token_for(anonymous_id)
    before, _ = stack.send(anonymous_id)
    stack.settle()  # delivered before the change (a withdrawal also cancels pending ones)
    assert stack.reached(before) == {"stats", "stats2", "ads"}

    assert stack.consent(token, {"purposes": {"advertising": False}}).status_code == 200
    after, response = stack.send(anonymous_id)
    assert response.status_code == 200
    stack.settle()
    assert stack.reached(after) == {"stats", "stats2"}

    assert stack.consent(token, {"purposes": {"analytics": False, "advertising": True}}).is_success
    last, _ = stack.send(anonymous_id)
    stack.settle()
    assert stack.reached(last) == {"ads"}


def test_refusal_applies_to_every_identifier_the_event_carries(stack: Stack) -> None:
    """Stored under the token's keys, looked up by the event's: logged in or not."""
    anonymous_id, user_id = new_id("anon"), new_id("user")
    token = stack.token_for(anonymous_id, user_id)
    assert stack.consent(token, {"purposes": {"advertising": False}}).status_code == 200
    logged_in, _ = stack.send(new_id("other-device"), user_id=user_id)
    logged_out, _ = stack.send(anonymous_id)
    stack.settle()
    assert stack.reached(logged_in) == {"stats", "stats2"}
    assert stack.reached(logged_out) == {"stats", "stats2"}


def test_a_vendor_refusal_blocks_only_that_destination(stack: Stack) -> None:
    anonymous_id = new_id("anon")
    token = stack.token_for(anonymous_id)
    state = stack.consent(token, {"vendors": {"stats": False}}).json()
    assert state["vendors"] == {"stats": False, "stats2": True, "ads": True}
    assert state["purposes"] == {"analytics": True, "advertising": True}
    message_id, _ = stack.send(anonymous_id)
    stack.settle()
    assert stack.reached(message_id) == {"stats2", "ads"}


def test_withdrawing_advertising_removes_pending_advertising_deliveries(stack: Stack) -> None:
    anonymous_id, bystander = new_id("anon"), new_id("bystander")
    token = stack.token_for(anonymous_id)
    stack.settle()
    retries = {name: stack.metric("gateway_deliveries_total", destination=name,
                                  outcome="retry") for name in ("ads", "stats")}  # fmt: skip
    stack.outage("ads", "stats")
    pending, _ = stack.send(anonymous_id)
    kept, _ = stack.send(bystander)
    for name, count in retries.items():
        stack.wait_retries(name, count)  # the payloads are in the outbox, not delivered

    withdrawn = stack.consent(token, {"purposes": {"advertising": False}})
    assert withdrawn.status_code == 200
    time.sleep(0.3)  # a request already on the wire is refused by the receiver too
    stack.recover()
    stack.settle()
    time.sleep(0.5)  # past the longest backoff: the entry would have been retried by now
    assert stack.reached(pending) == {"stats", "stats2"}  # analytics still pending → delivered
    assert stack.reached(kept) == {"stats", "stats2", "ads"}  # another subject: untouched


def replay_dead_letters(stack: Stack, capsys: pytest.CaptureFixture[str]) -> str:
    """What an operator does after a vendor outage: `gateway deadletter replay`."""
    argv = ["deadletter", "replay", "--config", str(stack.config_dir)]
    assert main(argv) == 0
    return capsys.readouterr().out.strip()


def test_withdrawing_advertising_drops_dead_lettered_advertising_payloads(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dead letter waits for a replay: after a withdrawal it must not be delivered."""
    anonymous_id, bystander = new_id("anon"), new_id("bystander")
    token = stack.token_for(anonymous_id)
    stack.settle()
    dead = {name: stack.dead_count(name) for name in ("ads", "stats")}
    stack.reject(*dead)
    withdrawn, _ = stack.send(anonymous_id)
    kept, _ = stack.send(bystander)
    for name, count in dead.items():
        stack.wait_dead(name, count + 1)

    assert stack.consent(token, {"purposes": {"advertising": False}}).status_code == 200
    stack.recover()
    assert replay_dead_letters(stack, capsys) == "replayed 3 dead letter(s)"
    stack.settle()
    assert stack.times_got("ads", withdrawn) == 1  # the refused attempt only
    assert stack.times_got("ads", kept) == 2
    assert stack.times_got("stats", withdrawn) == 2  # analytics was not withdrawn
