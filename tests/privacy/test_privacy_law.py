"""The privacy policy's clauses as a running gateway keeps them (issue 18): deletions that
stay deleted, evidence that states its basis and what was really sent, third parties only
with prior consent, App Tracking Transparency, children, and disclosures that show what is
still held. A real gateway process, a real SQLite store and real receivers on 127.0.0.1;
Meta's Conversions API is a receiver speaking its HTTP."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.privacy.stack import (
    ADMIN_TOKENS,
    DELIVERY,
    EXPLAINER,
    FIELDS,
    KEY_ENV,
    KEY_VALUE,
    Stack,
    anon_key,
    new_id,
)
from tests.support.configs import APP_KEY, default_sources, webhook, write_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

KIDS_KEY = "test-kids-key-0001"
META_ENV = "GW_PRIVACY_LAW_META_TOKEN"
IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
RECEIVERS = ("stats", "ads", "partner", "meta")
EXPLICIT = {"consent": {"categoryPreferences": {"analytics": True, "advertising": True}}}
PARTNER = {
    "name": "Partner Ads K.K.",
    "contact": "privacy@partner.example",
    "privacy_policy_url": "https://partner.example/privacy",
    "opt_out_url": "https://partner.example/opt-out",
}


def write_law_config(directory: Path, receivers: dict[str, Receiver]) -> Path:
    ad_fields = [*FIELDS, "timestamp", "context.device.advertisingId", "context.traits.email"]
    destinations = [
        webhook("stats", receivers["stats"].url, fields=[*FIELDS, "context.device.**"]),
        webhook("ads", receivers["ads"].url, purposes=["advertising"], country="US",
                fields=ad_fields, transforms={"context.traits.email": "sha256"}),
        webhook("partner", receivers["partner"].url, purposes=["advertising"], country="US",
                fields=FIELDS, role="third_party", recipient=PARTNER),
        {"name": "meta", "type": "meta_capi", "pixel_id": "1234567890",
         "url": receivers["meta"].url, "country": "US", "purposes": ["advertising"],
         "role": "processor", "fields": ad_fields, "secret_env": META_ENV,
         "allow_private_network": True},
    ]  # fmt: skip
    admin = {
        "tokens": [
            {"name": name, "sha256": hashlib.sha256(token.encode()).hexdigest(), "scopes": scopes}
            for name, (token, scopes) in ADMIN_TOKENS.items()
        ]
    }
    sources = [
        *default_sources(),
        {"id": "kids", "write_key": KIDS_KEY, "kind": "ios", "child_directed": True},
    ]
    return write_config(
        directory,
        destinations=destinations,
        sources=sources,
        gateway={"admin": admin, "secrets": {"key_env": KEY_ENV}, "delivery": DELIVERY},
        policy={"version": "2026-12-privacy-law"},
    )


class LawStack(Stack):
    def post(self, body: dict[str, Any], key: str = APP_KEY) -> str:
        message_id = new_id("msg")
        event = {"type": "track", "event": "Order Completed", "messageId": message_id,
                 "timestamp": "2026-12-07T06:00:00Z", **body}  # fmt: skip
        response = self.http.post(self.url + "/v1/track", json=event, auth=(key, ""))
        assert response.status_code == 200, response.text
        return message_id

    def got(self, destination: str, message_id: str) -> bool:
        if destination == "meta":
            data = [d for body in self.receivers["meta"].events() for d in body.get("data", [])]
            return any(d.get("event_id") == message_id for d in data)
        return super().got(destination, message_id)

    def settle(self) -> None:
        """A control event every destination takes (explicit grants), delivered everywhere:
        what was enqueued before it has gone out."""
        control = self.post({"anonymousId": new_id("control"), "context": EXPLICIT})
        for name in self.receivers:
            self.wait_delivered(name, control)
        time.sleep(0.3)

    def payload(self, destination: str, message_id: str) -> dict[str, Any]:
        return next(
            e for e in self.receivers[destination].events() if e.get("messageId") == message_id
        )

    def records(self, subject: str) -> dict[tuple[str, str], dict[str, Any]]:
        disclosure = self.admin("disclosure", subject).json()
        return {(r["message_id"], r["destination"]): r for r in disclosure["provision_records"]}


@pytest.fixture(scope="module")
def law(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LawStack]:
    receivers = {name: Receiver() for name in RECEIVERS}
    config_dir = write_law_config(tmp_path_factory.mktemp("law") / "config", receivers)
    env = {KEY_ENV: KEY_VALUE, META_ENV: "meta-test-token"}
    stack = LawStack(GatewayProcess(config_dir, env=env), receivers, config_dir)
    try:
        stack.gateway.start()
        yield stack
    finally:
        stack.http.close()
        stack.gateway.stop()
        for receiver in receivers.values():
            receiver.close()


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
    stack.settle()  # delivered before the deletion (which drops what is still pending)
    answer = stack.admin("deletion", anon).json()
    assert answer["suppression_kept"] == 1
    after = stack.post({"anonymousId": anon})
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
    assert stack.reached(adult) == set(RECEIVERS)


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
