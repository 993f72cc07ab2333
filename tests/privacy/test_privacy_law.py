"""The privacy policy's clauses as a running gateway keeps them (issue 18): deletions that
stay deleted, evidence that states its basis and what was really sent, third parties only
with prior consent, App Tracking Transparency, children, and disclosures that show what is
still held. A real gateway process, a real SQLite store and real receivers on 127.0.0.1;
Meta's Conversions API is a receiver speaking its HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.privacy.law import (
    EXPLICIT,
    IDFA,
    KIDS_KEY,
    PARTNER,
    LawStack,
    start_law_stack,
    stop_law_stack,
)
from tests.privacy.stack import EXPLAINER, anon_key, new_id
from tests.support.configs import APP_KEY


@pytest.fixture(scope="module")
def law(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LawStack]:
    stack = start_law_stack(tmp_path_factory.mktemp("law") / "config")
    yield stack
    stop_law_stack(stack)


@pytest.fixture
def stack(law: LawStack) -> Iterator[LawStack]:
    yield law
    law.recover()


# ------------------------------------------------------------- 1. deletions stay deleted
def test_a_deletion_keeps_the_refusal_so_tracking_does_not_restart(stack: LawStack) -> None:
    anon = new_id("anon")
    token = stack.token_for(anon)
    assert stack.consent(token, {"purposes": {"advertising": False}}).status_code == 200
    before = stack.post({"anonymousId": anon})
    # Delivered before the deletion (which drops what is still pending): waited for by name,
    # since a later control event may overtake it on a worker with several deliveries at once.
    stack.wait_delivered("stats", before)
    stack.settle()
    answer = stack.admin("deletion", anon).json()
    assert answer["suppression_kept"] == 1
    after = stack.post({"anonymousId": anon})
    stack.wait_delivered("stats", after)
    stack.settle()
    assert stack.reached(before) == stack.reached(after) == {"stats"}
    # The suppression record is the refusal and nothing else.
    held = stack.admin("disclosure", anon).json()["preferences"]
    assert held == {anon_key(anon): {"purposes": {"advertising": False}}}


def test_a_deletion_keeps_a_suspension_and_a_correction_keeps_what_it_does_not_name(
    stack: LawStack,
) -> None:
    anon = new_id("anon")
    stack.token_for(anon)
    assert stack.admin("suspend-provision", anon).status_code == 200
    stack.admin("deletion", anon)
    suspended = stack.post({"anonymousId": anon, "context": EXPLICIT})
    stack.admin("resume-provision", anon)
    stack.admin("correction", anon, preferences={"purposes": {"advertising": False}})
    stack.admin("correction", anon, preferences={"purposes": {"analytics": True}})
    corrected = stack.post({"anonymousId": anon})
    stack.settle()
    assert stack.reached(suspended) == set()
    assert stack.reached(corrected) == {"stats"}  # the advertising refusal stayed


# ------------------------------------------------------------- 2. evidence that tells the truth
def test_each_provision_record_states_the_basis_of_each_purpose(stack: LawStack) -> None:
    anon = new_id("anon")
    by_default = stack.post({"anonymousId": anon})
    by_cmp = stack.post({"anonymousId": anon, "context": EXPLICIT})
    stack.settle()
    stack.wait_recorded(anon, 2 + 4)
    records = stack.records(anon)
    assert records[(by_default, "stats")]["basis"]["analytics"] == "purpose_default"
    assert records[(by_default, "stats")]["consent"]["analytics"] is True
    assert records[(by_cmp, "stats")]["basis"]["analytics"] == "cmp"
    assert records[(by_cmp, "partner")]["basis"]["advertising"] == "cmp"


def test_the_consent_log_states_the_basis_and_the_notice_version(stack: LawStack) -> None:
    anon = new_id("anon")
    token = stack.token_for(anon)
    notice = stack.consent(token).json()["notice_version"]
    stack.consent(token, {"purposes": {"advertising": True}})
    (entry,) = stack.admin("disclosure", anon).json()["consent_log"]
    assert entry["basis"]["advertising"] == "explicit_choice"
    assert entry["basis"]["analytics"] == "purpose_default"
    assert entry["notice_version"] == notice and notice.startswith("n1-")


def test_ledger_categories_are_what_the_vendor_adapter_sent(stack: LawStack) -> None:
    """The rule names the advertising ID; Meta's wire format carries none, so Meta's record
    does not list it. The webhook sends it, and its record does."""
    anon = new_id("anon")
    context = {"device": {"advertisingId": IDFA, "adTrackingEnabled": True,
                          "trackingStatus": "authorized"},
               "traits": {"email": "a@example.com"}}  # fmt: skip
    sent = stack.post({"anonymousId": anon, "context": context})
    stack.settle()
    stack.wait_recorded(anon, 3)
    records = stack.records(anon)
    assert "advertising_id" in records[(sent, "ads")]["categories"]
    assert "advertising_id" not in records[(sent, "meta")]["categories"]
    assert "profile" in records[(sent, "meta")]["categories"]  # the hashed email went
    meta_body = next(
        d for b in stack.receivers["meta"].events() for d in b["data"] if d["event_id"] == sent
    )
    assert IDFA not in repr(meta_body) and "madid" not in meta_body["user_data"]


# ------------------------------------------------------------- 3. third parties
def test_a_third_party_gets_an_event_only_with_an_explicit_grant(stack: LawStack) -> None:
    anon = new_id("anon")
    by_default = stack.post({"anonymousId": anon})
    by_cmp = stack.post({"anonymousId": anon, "context": EXPLICIT})
    token = stack.token_for(new_id("anon"))
    stack.consent(token, {"purposes": {"advertising": True}})
    chooser = stack.consent(token).json()
    assert chooser["decided_by"]["advertising"] == "preferences"
    stack.settle()
    assert stack.reached(by_default) == {"stats", "ads", "meta"}
    assert stack.reached(by_cmp) == {"stats", "ads", "meta", "partner"}


def test_a_stored_explicit_choice_is_prior_consent(stack: LawStack) -> None:
    anon = new_id("anon")
    token = stack.token_for(anon)
    stack.consent(token, {"purposes": {"advertising": True}})
    chosen = stack.post({"anonymousId": anon})
    stack.settle()
    assert "partner" in stack.reached(chosen)


# ------------------------------------------------------------- 4. App Tracking Transparency
@pytest.mark.parametrize(
    "device",
    [
        {"advertisingId": IDFA, "trackingStatus": "denied"},
        {"advertisingId": IDFA, "adTrackingEnabled": False},
        {"trackingStatus": "restricted"},  # no ID at all: the hashed email must not go either
    ],
)
def test_att_refused_or_limit_ad_tracking_denies_advertising(
    stack: LawStack, device: dict[str, Any]
) -> None:
    anon = new_id("anon")
    refused = stack.post(
        {"anonymousId": anon, "context": {"device": device, "traits": {"email": "a@example.com"}}}
    )
    silent = stack.post({"anonymousId": anon, "context": {"traits": {"email": "a@example.com"}}})
    stack.settle()
    assert stack.reached(refused) == {"stats"}
    assert stack.reached(silent) == {"stats", "ads", "meta"}  # silence is not a refusal
    assert IDFA not in repr(stack.payload("stats", refused))


def test_explain_shows_the_device_tracking_signal(stack: LawStack) -> None:
    event = {"type": "track", "event": "E", "anonymousId": "a1",
             "context": {"device": {"trackingStatus": "denied"}}}  # fmt: skip
    answer = stack.http.post(
        stack.url + "/admin/explain",
        json=event,
        params={"write_key": APP_KEY},
        headers={"authorization": f"Bearer {EXPLAINER}"},
    )
    assert answer.status_code == 200, answer.text
    (trace,) = answer.json()["events"]
    advertising = trace["purposes"]["advertising"]
    assert advertising["signal"] == "att" and advertising["granted"] is False
    assert advertising["detail"] == "att_not_authorized"


# ------------------------------------------------------------- 5. children
def test_a_child_directed_source_gets_no_advertising_and_no_third_party(
    stack: LawStack,
) -> None:
    anon = new_id("kid")
    context = {**EXPLICIT, "device": {"advertisingId": IDFA, "trackingStatus": "authorized"}}
    sent = stack.post(
        {"anonymousId": anon, "context": context, "properties": {"idfa": IDFA, "note": IDFA}},
        key=KIDS_KEY,
    )
    stack.settle()
    assert stack.reached(sent) == {"stats"}
    assert IDFA not in repr(stack.payload("stats", sent))  # no advertising ID anywhere


@pytest.mark.parametrize("marker", [{"child": True}, {"age": 12}])
def test_an_event_marked_as_a_childs_gets_no_advertising(
    stack: LawStack, marker: dict[str, Any]
) -> None:
    consent = {**EXPLICIT["consent"], **marker}
    child = stack.post({"anonymousId": new_id("kid"), "context": {"consent": consent}})
    adult_consent = {**EXPLICIT["consent"], "age": 30}
    adult = stack.post({"anonymousId": new_id("adult"), "context": {"consent": adult_consent}})
    stack.settle()
    assert stack.reached(child) == {"stats"}
    assert stack.reached(adult) == {"stats", "ads", "partner", "meta"}


# ------------------------------------------------------------- 9. disclosure of what is held
def test_a_disclosure_lists_payloads_pending_and_dead_lettered(stack: LawStack) -> None:
    anon = new_id("anon")
    retries = stack.metric("gateway_deliveries_total", destination="stats", outcome="retry")
    dead = stack.dead_count("ads")
    stack.outage("stats")
    stack.reject("ads")
    sent = stack.post({"anonymousId": anon})
    stack.wait_retries("stats", retries)
    stack.wait_dead("ads", dead)
    disclosure = stack.admin("disclosure", anon).json()
    assert [(p["destination"], p["message_id"]) for p in disclosure["pending"]] == [("stats", sent)]
    assert [(p["destination"], p["message_id"]) for p in disclosure["dead_lettered"]] == [
        ("ads", sent)
    ]
    assert disclosure["recipients"]["partner"] == {
        "name": PARTNER["name"], "role": "third_party", "country": "US",
        "contact": PARTNER["contact"],
    }  # fmt: skip
    stack.recover()
    stack.wait_delivered("stats", sent)
