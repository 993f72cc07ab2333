"""Data-subject requests (APPI arts. 33-35) over POST /admin/dsar/ACTION and `gateway dsar`:
disclosure of exactly the subject's records, deletion of pending deliveries and preferences
(the ledger stays), suspension of use and of provision and their reversal, each request
logged."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
import pytest

from gateway.cli import main
from gateway.cli.times import iso_times
from tests.privacy.stack import POLICY_VERSION, Stack, anon_key, new_id

ALL = {"stats", "stats2", "ads"}


def new_ad_id() -> str:
    """An IDFA-shaped advertising ID, its own for each test."""
    return str(uuid.uuid4()).upper()


def records(disclosure: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["message_id"], r["destination"]) for r in disclosure["provision_records"]}


def test_disclosure_contains_exactly_the_subjects_records(stack: Stack) -> None:
    user, anon, other = new_id("user"), new_id("anon"), new_id("other")
    first, response = stack.send(anon, user_id=user)
    token = response.headers["gateway-subject"]
    other_first, response = stack.send(other)
    other_token = response.headers["gateway-subject"]
    stack.wait_recorded(user, 3)  # a refusal cancels what is still pending
    stack.wait_recorded(other, 3)
    assert stack.consent(token, {"vendors": {"stats2": False}}).status_code == 200
    assert stack.consent(other_token, {"purposes": {"analytics": False}}).status_code == 200
    ad_id = new_ad_id()
    device = {"device": {"advertisingId": ad_id, "adTrackingEnabled": True}}
    with_ad_id = [stack.send(anon, user_id=user, context=device)[0] for _ in range(2)]
    other_later, _ = stack.send(other)
    stack.wait_recorded(user, 7)
    stack.wait_recorded(other, 4)

    by_device = {(m, d) for m in with_ad_id for d in ("stats", "ads")}
    expected = {(first, d) for d in ALL} | by_device
    for identifier, wanted in ((user, expected), (anon, expected), (ad_id.lower(), by_device)):
        answer = stack.admin("disclosure", identifier)
        assert answer.status_code == 200, answer.text
        disclosure = answer.json()
        assert records(disclosure) == wanted, identifier
        assert disclosure["policy_version"] == POLICY_VERSION
        for record in disclosure["provision_records"]:
            assert record["policy_version"] == POLICY_VERSION
            assert record["country"] == ("US" if record["destination"] == "ads" else "JP")

    disclosure = stack.admin("disclosure", user).json()
    assert [c["after"]["vendors"] for c in disclosure["consent_log"]] == [{"stats2": False}]
    # The choice, and what it was made against (the notice's purposes; no recipient here
    # needs consent: all are processors).
    seen = {"purposes": ["advertising", "analytics"], "recipients": []}
    assert list(disclosure["preferences"].values()) == [
        {"purposes": {}, "vendors": {"stats2": False}, "seen": seen}
    ]
    ads = next(r for r in disclosure["provision_records"] if r["message_id"] == with_ad_id[0]
               and r["destination"] == "ads")  # fmt: skip
    assert ads["purposes"] == ["advertising"]
    assert ads["categories"] == ["advertising_id", "browsing_history", "identifiers"]

    theirs = stack.admin("disclosure", other).json()
    assert records(theirs) == {(other_first, d) for d in ALL} | {(other_later, "ads")}
    assert [c["after"]["purposes"] for c in theirs["consent_log"]] == [{"analytics": False}]
    assert not set(theirs["subject_keys"]) & set(disclosure["subject_keys"])


def test_provision_record_of_an_advertising_id_names_that_category(stack: Stack) -> None:
    anon = new_id("anon")
    ad_id = new_ad_id()
    device = {"device": {"advertisingId": ad_id, "adTrackingEnabled": True}}
    message_id, _ = stack.send(anon, context=device)
    stack.wait_recorded(ad_id, 3)  # stats, stats2 and ads: each delivery is recorded on its own
    payload = next(e for e in stack.receivers["ads"].events() if e["messageId"] == message_id)
    assert payload["context"]["device"]["advertisingId"] == ad_id
    (record,) = [r for r in stack.admin("disclosure", ad_id).json()["provision_records"]
                 if r["destination"] == "ads"]  # fmt: skip
    assert "advertising_id" in record["categories"]


def test_disclosure_by_anonymous_id_includes_changes_made_while_logged_in(stack: Stack) -> None:
    user, anon = new_id("user"), new_id("anon")
    token = stack.token_for(anon, user)
    assert stack.consent(token, {"purposes": {"advertising": False}}).status_code == 200
    assert len(stack.admin("disclosure", user).json()["consent_log"]) == 1
    assert len(stack.admin("disclosure", anon).json()["consent_log"]) == 1


def test_deletion_removes_pending_deliveries_and_preferences_but_keeps_the_ledger(
    stack: Stack,
) -> None:
    anon = new_id("anon")
    delivered, response = stack.send(anon)
    token = response.headers["gateway-subject"]
    stack.wait_recorded(anon, 3)
    assert stack.consent(token, {"advertising_id": False}).status_code == 200
    retries = {d: stack.metric("gateway_deliveries_total", destination=d, outcome="retry")
               for d in ALL}  # fmt: skip
    stack.outage(*ALL)
    pending = [stack.send(anon)[0] for _ in range(2)]
    for destination, count in retries.items():
        stack.wait_retries(destination, count)

    answer = stack.admin("deletion", anon)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "preferences_deleted": 1,
        "suppression_kept": 1,  # the ad-ID refusal outlives the deletion
        "pending_deleted": 6,
        "dead_letters_deleted": 0,
        "dedupe_deleted": 1,
    }
    time.sleep(0.3)
    stack.recover()
    stack.settle()
    time.sleep(0.5)  # past the longest backoff
    for message_id in pending:
        assert stack.reached(message_id) == set()

    state = stack.consent(token).json()
    assert state["advertising_id"] is False
    assert set(state["decided_by"].values()) == {"default"}
    disclosure = stack.admin("disclosure", anon).json()
    assert disclosure["preferences"] == {anon_key(anon): {"advertising_id": False}}
    assert records(disclosure) == {(delivered, d) for d in ALL}  # provision records stay


def test_deletion_and_suspension_drop_dead_lettered_payloads(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dead letters wait for an operator's replay: a deleted or suspended subject's must go."""
    deleted, suspended, bystander = new_id("deleted"), new_id("suspended"), new_id("bystander")
    dead = stack.dead_count("ads")
    stack.reject("ads")
    sent = {subject: stack.send(subject)[0] for subject in (deleted, suspended, bystander)}
    stack.wait_dead("ads", dead + 2)
    for subject in sent:
        stack.wait_recorded(subject, 2)  # the analytics deliveries went through

    answer = stack.admin("deletion", deleted).json()
    assert answer["dead_letters_deleted"] == 1
    assert stack.admin("suspend-provision", suspended).json()["dead_letters_deleted"] == 1
    stack.recover()
    assert main(["deadletter", "replay", "--config", str(stack.config_dir)]) == 0
    assert capsys.readouterr().out.strip() == "replayed 1 dead letter(s)"
    stack.settle()
    assert {s: stack.times_got("ads", m) for s, m in sent.items()} == {
        deleted: 1, suspended: 1, bystander: 2,
    }  # fmt: skip


def test_suspension_of_provision_stops_forwarding_from_the_next_event(stack: Stack) -> None:
    anon = new_id("anon")
    first, response = stack.send(anon)
    token = response.headers["gateway-subject"]
    stack.settle()
    assert stack.reached(first) == ALL
    skipped = {d: stack.metric("gateway_events_not_forwarded_total", destination=d,
                               reason="provision_suspended") for d in ALL}  # fmt: skip

    answer = stack.admin("suspend-provision", anon)
    assert answer.json() == {
        "suspended": "provision",
        "active": True,
        "pending_deleted": 0,
        "dead_letters_deleted": 0,
    }
    second, response = stack.send(anon)
    assert (response.status_code, response.json()) == (200, {"success": True})
    stack.settle()
    assert stack.reached(second) == set()
    for destination, count in skipped.items():
        after = stack.metric(
            "gateway_events_not_forwarded_total", destination=destination,
            reason="provision_suspended",
        )  # fmt: skip
        assert after == count + 1
    assert stack.consent(token).json()["suspended"] == {"use": False, "provision": True}

    answer = stack.admin("resume-provision", anon)
    assert answer.json() == {
        "suspended": "provision",
        "active": False,
        "pending_deleted": 0,
        "dead_letters_deleted": 0,
    }
    third, _ = stack.send(anon)
    stack.settle()
    assert stack.reached(third) == ALL
    assert stack.consent(token).json()["suspended"] == {"use": False, "provision": False}


def test_suspension_of_use_drops_events_at_the_edge_and_counts_them(stack: Stack) -> None:
    anon, user = new_id("anon"), new_id("user")
    token = stack.token_for(anon)
    dropped = stack.metric("gateway_events_dropped_total", reason="suspended_use")

    assert stack.admin("suspend-use", user).json()["active"] is True
    by_user, response = stack.send(anon, user_id=user)
    assert response.status_code == 200
    assert stack.metric("gateway_events_dropped_total", reason="suspended_use") == dropped + 1
    other, _ = stack.send(anon)  # not logged in: the userId's suspension does not apply
    stack.settle()
    assert stack.reached(by_user) == set()
    assert stack.reached(other) == ALL
    assert stack.consent(token).json()["suspended"]["use"] is False

    assert stack.admin("resume-use", user).json()["active"] is False
    again, _ = stack.send(anon, user_id=user)
    stack.settle()
    assert stack.reached(again) == ALL
    assert stack.metric("gateway_events_dropped_total", reason="suspended_use") == dropped + 1


def test_correction_changes_preferences_for_every_identifier_kind(stack: Stack) -> None:
    anon = new_id("anon")
    token = stack.token_for(anon)
    answer = stack.admin("correction", anon, preferences={"purposes": {"advertising": False}})
    assert answer.status_code == 200
    assert answer.json()["purposes"] == {"analytics": True, "advertising": False}
    assert stack.consent(token).json()["purposes"]["advertising"] is False
    bad = stack.admin("correction", anon, preferences={"purposes": {"advertising": "no"}})
    assert bad.status_code == 400
    assert stack.admin("correction", "", preferences={}).status_code == 400
    assert stack.admin("unknown-action", anon).status_code == 404


def test_each_request_is_logged_without_the_identifier(stack: Stack) -> None:
    anon, other = new_id("anon"), new_id("other")
    stack.token_for(anon)
    actions = ["disclosure", "suspend-use", "resume-use", "suspend-provision",
               "resume-provision", "correction", "deletion"]  # fmt: skip
    for action in actions:
        assert stack.admin(action, anon, preferences={}).status_code == 200
    assert stack.admin("disclosure", other).status_code == 200

    log = stack.admin_log(len(actions) + 1)[::-1]
    assert [entry["action"] for entry in log] == [*actions, "disclosure"]
    assert {entry["token"] for entry in log} == {"office"}
    keys = {entry["subject_key"] for entry in log[:-1]}
    assert len(keys) == 1
    assert log[-1]["subject_key"] not in keys
    assert anon not in orjson.dumps(log).decode()


def dsar_cli(
    capsys: pytest.CaptureFixture[str], stack: Stack, action: str, subject: str, **body: Any
) -> dict[str, Any]:
    argv = ["dsar", action, "--config", str(stack.config_dir), "--subject", subject,
            "--operator", "privacy-desk"]  # fmt: skip
    if "preferences" in body:
        argv += ["--preferences", orjson.dumps(body["preferences"]).decode()]
    assert main(argv) == 0
    result: dict[str, Any] = orjson.loads(capsys.readouterr().out)
    return result


def disclosure_shape(disclosure: dict[str, Any], first: str) -> dict[str, Any]:
    """What must match between two subjects with the same history."""
    return {
        "preferences": sorted(orjson.dumps(s).decode() for s in disclosure["preferences"].values()),
        "consent_log": [
            (c["before"], c["after"], c["source"], c["policy_version"])
            for c in disclosure["consent_log"]
        ],
        "destinations": sorted(
            (r["destination"], r["message_id"] == first) for r in disclosure["provision_records"]
        ),
    }


def test_cli_twins_give_the_same_results_as_the_endpoints(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same history for two subjects, one handled over HTTP, one with `gateway dsar`."""
    web, cli = new_id("http-subject"), new_id("cli-subject")
    firsts = {s: stack.send(s)[0] for s in (web, cli)}
    for subject in firsts:
        stack.wait_recorded(subject, 3)  # a suspension would cancel it still pending

    def both(action: str, **body: Any) -> None:
        over_http = stack.admin(action, web, **body)
        assert over_http.status_code == 200, over_http.text
        expected = iso_times(over_http.json())  # the CLI prints times as ISO-8601 UTC
        assert dsar_cli(capsys, stack, action, cli, **body) == expected, action

    def reached() -> dict[str, set[str]]:
        sent = {s: stack.send(s)[0] for s in (web, cli)}
        stack.settle()
        return {s: stack.reached(m) for s, m in sent.items()}

    both("correction", preferences={"purposes": {"advertising": False}})
    assert reached() == {web: {"stats", "stats2"}, cli: {"stats", "stats2"}}
    both("suspend-provision")
    assert reached() == {web: set(), cli: set()}
    both("resume-provision")
    dropped = stack.metric("gateway_events_dropped_total", reason="suspended_use")
    both("suspend-use")
    assert reached() == {web: set(), cli: set()}
    assert stack.metric("gateway_events_dropped_total", reason="suspended_use") == dropped + 2
    both("resume-use")
    assert reached() == {web: {"stats", "stats2"}, cli: {"stats", "stats2"}}

    over_http = iso_times(stack.admin("disclosure", web).json())
    by_cli = dsar_cli(capsys, stack, "disclosure", cli)
    assert disclosure_shape(by_cli, firsts[cli]) == disclosure_shape(over_http, firsts[web])
    assert len(by_cli["consent_log"]) == 5
    both("deletion")
    kept = stack.admin("disclosure", cli).json()["preferences"]  # the refusal, nothing else
    assert kept and all(v == {"purposes": {"advertising": False}} for v in kept.values())

    log = stack.admin_log(200)
    cli_actions = [e["action"] for e in log if e["token"] == "cli:privacy-desk"][::-1]
    assert cli_actions == [
        "correction", "suspend-provision", "resume-provision", "suspend-use", "resume-use",
        "disclosure", "deletion",
    ]  # fmt: skip
