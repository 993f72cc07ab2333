"""Consent from every signal (gateway/policy/consent/resolver.py), checked exhaustively where the
combinations are few: precedence, "an explicit denial anywhere wins", fail-closed parsing of
every per-event signal, preference merging across a subject's keys, and the provenance stamp
kept with every outbox item."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.config.defaults import builtin_policy
from gateway.config.schema import PolicyFile
from gateway.destinations.webhook import WebhookConfig
from gateway.policy.consent.resolver import (
    NO_TCF_CONSENT,
    TCF_KEYS,
    Consent,
    ConsentResolver,
    RequestSignals,
)
from gateway.policy.engine import merge_preferences
from gateway.route.router import Router
from tests.policy.harness import Harness, tc_string

POLICY = builtin_policy()
ALL_TCF = tc_string({"purposes": [1, 2, 3, 4, 7, 8, 9, 10], "vendors": [755]})
ORDER = ("preferences", "categoryPreferences", "tcf", "consent_mode", "gpc")
CANARY = "canary-7f3a9c"


def resolve(
    consent: dict[str, Any] | None = None,
    *,
    stored: dict[str, Any] | None = None,
    country: str | None = None,
    gpc: bool = False,
    dnt: bool = False,
    policy: PolicyFile = POLICY,
    categories: frozenset[str] = frozenset(),
) -> Consent:
    context: dict[str, Any] = {}
    if consent is not None:
        context["consent"] = consent
    if country:
        context["geo"] = {"country": country}
    event = {"type": "track", "event": "E", "anonymousId": "a1", "context": context}
    return ConsentResolver(policy, categories).resolve(
        event, RequestSignals(gpc=gpc, dnt=dnt), stored
    )


def decision(consent: Consent, purpose: str) -> tuple[bool, str]:
    found = consent.purposes[purpose]
    return found.granted, found.signal


# --- precedence: every combination of the advertising signals ----------------------------

SAYS = (None, True, False)


def advertising_signals(
    stored: bool | None, category: bool | None, tcf: bool | None, mode: bool | None
) -> dict[str, Any]:
    consent: dict[str, Any] = {}
    if category is not None:
        consent["categoryPreferences"] = {"advertising": category}
    if tcf is not None:
        purposes = [1, 2, 3, 4, 7, 8, 9, 10] if tcf else [1, 8, 9, 10]
        consent["tcf"] = tc_string({"purposes": purposes})
    if mode is not None:
        consent["googleConsentMode"] = {"ad_storage": "granted" if mode else "denied"}
    return consent


def expected(says: dict[str, bool | None], country: str | None) -> tuple[bool, str]:
    for name in ORDER:
        if says[name] is False:
            return False, name
    for name in ORDER:
        if says[name] is True:
            return True, name
    if country == "FR":
        return False, "jurisdiction:eea-uk-ch"
    return True, "default"


def test_precedence_of_every_signal_combination() -> None:
    failures = []
    for stored, category, tcf, mode, gpc, country in itertools.product(
        SAYS, SAYS, SAYS, SAYS, (None, False), (None, "JP", "FR")
    ):
        says = dict(zip(ORDER, (stored, category, tcf, mode, gpc), strict=True))
        preferences = None if stored is None else {"purposes": {"advertising": stored}}
        consent = resolve(
            advertising_signals(stored, category, tcf, mode),
            stored=preferences,
            country=country,
            gpc=gpc is False,
        )
        got, want = decision(consent, "advertising"), expected(says, country)
        if got != want:
            failures.append(f"{says} {country}: got {got}, want {want}")
    assert not failures, "\n".join(failures)


def test_dnt_counts_only_when_the_policy_honours_it() -> None:
    assert decision(resolve(dnt=True), "advertising") == (True, "default")
    honouring = POLICY.model_copy(update={"honor_dnt": True})
    assert decision(resolve(dnt=True, policy=honouring), "advertising") == (False, "dnt")
    # GPC and DNT together: GPC is named.
    both = resolve(dnt=True, gpc=True, policy=honouring)
    assert decision(both, "advertising") == (False, "gpc")
    assert decision(both, "analytics") == (True, "default")


def test_a_grant_from_any_signal_is_the_explicit_opt_in_an_eu_visitor_needs() -> None:
    grants: list[dict[str, Any]] = [
        {"categoryPreferences": {"analytics": True}},
        {"categoryPreferences": {"C0002": True}},
        {"tcf": ALL_TCF},
        {"analytics_storage": "granted"},
        {"consentMode": {"analytics_storage": True}},
    ]
    assert decision(resolve(country="IE"), "analytics") == (False, "jurisdiction:eea-uk-ch")
    for consent in grants:
        assert decision(resolve(consent, country="IE"), "analytics")[0] is True, consent
    stored = {"purposes": {"analytics": True}}
    assert decision(resolve(stored=stored, country="IE"), "analytics") == (True, "preferences")


def test_every_tcf_key_is_read_and_an_empty_one_is_no_signal() -> None:
    for key in TCF_KEYS:
        consent = resolve({key: tc_string({"purposes": [1]})})
        assert decision(consent, "advertising") == (False, "tcf"), key
        assert consent.tcf is not None
    empty = resolve({"tcf": "", "gdpr_consent": None})
    assert decision(empty, "advertising") == (True, "default")
    assert empty.tcf is None and empty.problems == ()


# --- fail closed: unreadable signals deny what they speak for ---------------------------


@pytest.mark.parametrize(
    ("consent", "denied", "problem"),
    [
        (
            {"categoryPreferences": CANARY},
            {"analytics", "advertising", "location"},
            "not an object",
        ),
        ({"categoryPreferences": [CANARY]}, {"analytics", "advertising", "location"}, "not an"),
        ({"categoryPreferences": {"analytics": CANARY}}, {"analytics"}, "not true/false"),
        ({"categoryPreferences": {"C0004": None}}, {"advertising"}, "not true/false"),
        ({"categoryPreferences": {"location": 1}}, {"location"}, "not true/false"),
        ({"tcf": CANARY}, {"analytics", "advertising", "location"}, "TCF string unreadable"),
        ({"tcf": "C" + CANARY}, {"analytics", "advertising", "location"}, "TCF string unreadable"),
        ({"gdprConsent": ["CPx"]}, {"analytics", "advertising", "location"}, "not a string"),
        ({"ad_storage": CANARY}, {"advertising"}, "neither granted nor denied"),
        ({"gcm": {"analytics_storage": 1}}, {"analytics"}, "neither granted nor denied"),
    ],
)
def test_an_unreadable_signal_denies_its_purposes_and_is_reported(
    consent: dict[str, Any], denied: set[str], problem: str
) -> None:
    result = resolve(consent, categories=frozenset({"location"}))
    by_signal = {p for p, d in result.purposes.items() if d.signal != "default"}
    assert by_signal == denied
    assert not any(result.granted(p) for p in denied)
    assert len(result.problems) == 1 and problem in result.problems[0]
    assert CANARY not in repr(result.problems)
    assert CANARY not in repr({p: d.as_dict() for p, d in result.purposes.items()})
    assert result.granted("service")


def test_unknown_names_and_other_keys_are_no_signal() -> None:
    result = resolve({"categoryPreferences": {CANARY: False}, "other": {"ad_storage": "denied"}})
    assert all(d.signal == "default" for d in result.purposes.values())
    assert result.problems == ()


# --- stored preferences --------------------------------------------------------------------


def test_merge_preferences_a_refusal_under_any_key_wins() -> None:
    merged = merge_preferences(
        [
            {"purposes": {"analytics": True, "advertising": False}, "vendors": {"ads": True}},
            {"purposes": {"analytics": False, "advertising": True}, "vendors": {"ads": False}},
            {"purposes": {"service": "yes"}, "advertising_id": True, "suspend_use": False},
            {"advertising_id": False, "suspend_provision": True, "vendors": "bad"},
        ]
    )
    assert merged == {
        "purposes": {"analytics": False, "advertising": False},
        "vendors": {"ads": False},
        "advertising_id": False,
        "suspend_provision": True,
    }
    assert merge_preferences([]) == {"purposes": {}, "vendors": {}}


def test_stored_state_fields() -> None:
    stored = {
        "purposes": {"analytics": False, "unknown": False, "advertising": "no"},
        "vendors": {"ads": False, "social": True},
        "advertising_id": False,
        "suspend_provision": True,
    }
    result = resolve(stored=stored)
    assert decision(result, "analytics") == (False, "preferences")
    assert decision(result, "advertising") == (True, "default")
    assert "unknown" not in result.purposes
    assert result.vendor_refusals == frozenset({"ads"})
    assert result.advertising_id_refused and result.suspended_provision
    assert not result.suspended_use


def test_suspension_of_use_denies_everything_whatever_else_grants() -> None:
    result = resolve(
        {"categoryPreferences": {"analytics": True}, "tcf": ALL_TCF},
        stored={"suspend_use": True, "purposes": {"advertising": True}},
        categories=frozenset({"location"}),
    )
    assert result.suspended_use
    assert {p: decision(result, p) for p in result.purposes} == {
        p: (False, "suspension") for p in ("service", "analytics", "advertising", "location")
    }


def test_category_purposes_need_an_explicit_grant() -> None:
    categories = frozenset({"location", "media"})
    assert decision(resolve(categories=categories), "location") == (False, "default")
    granted = resolve({"categoryPreferences": {"Location": True}}, categories=categories)
    assert decision(granted, "location") == (True, "categoryPreferences")
    assert decision(granted, "media") == (False, "default")
    assert list(granted.purposes) == ["service", "analytics", "advertising", "location", "media"]


def test_tcf_special_feature_1_speaks_for_location_only_where_it_is_a_purpose() -> None:
    with_sf1 = tc_string({"purposes": [1], "special_features": [1]})
    without = tc_string({"purposes": [1], "special_features": [2]})
    location = frozenset({"location"})
    granted = resolve({"tcf": with_sf1}, categories=location)
    assert decision(granted, "location") == (True, "tcf")
    assert granted.purposes["location"].detail == "TCF special feature 1"
    refused = resolve(
        {"tcf": without, "categoryPreferences": {"location": True}}, categories=location
    )
    assert decision(refused, "location") == (False, "tcf")
    assert "location" not in resolve({"tcf": with_sf1}).purposes


def test_stamp_and_granted() -> None:
    result = resolve(gpc=True)
    assert result.stamp() == {"service": True, "analytics": True, "advertising": False}
    assert not result.granted("no-such-purpose")


# --- provenance: the decision every outbox item was sent under ---------------------------


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    harness = Harness(tmp_path_factory.mktemp("consent"))
    yield harness
    harness.close()


def test_outbox_items_carry_policy_version_and_consent(harness: Harness) -> None:
    policy = {"version": "2026-05-01-test"}
    run = harness.run(
        {
            "type": "track",
            "event": "Order Completed",
            "userId": "u1",
            "properties": {"plan": "pro"},
        },
        headers={"Sec-GPC": "1"},
        policy=policy,
    )
    items = run.runtime.pipeline.outbox_items(run.outcome, run.source, 123.0)
    assert sorted(i.destination for i in items) == ["analytics", "support"]
    for item in items:
        assert item.meta["policy_version"] == "2026-05-01-test"
        assert item.meta["consent"] == {"service": True, "analytics": True, "advertising": False}
        assert item.meta["country"] == "JP"
        assert item.source_id == "web" and item.created_at == 123.0
    by_name = {i.destination: i for i in items}
    assert by_name["analytics"].meta["purposes"] == ["analytics"]
    assert by_name["support"].meta["purposes"] == ["service"]
    assert by_name["support"].payload == {
        "type": "track",
        "event": "Order Completed",
        "userId": "u1",
        "properties": {"plan": "pro"},
    }


def test_trace_names_every_purpose_with_its_deciding_signal(harness: Harness) -> None:
    run = harness.run(
        {"type": "track", "event": "E", "anonymousId": "a1",
         "context": {"consent": {"categoryPreferences": {"C0004": False}, "tcf": CANARY}}},
    )  # fmt: skip
    trace = run.outcome.trace()
    assert trace["purposes"] == {
        "service": {"granted": True, "signal": "default", "basis": "purpose_default"},
        "analytics": {
            "granted": False,
            "signal": "tcf",
            "basis": "tcf",
            "detail": "unreadable TCF string",
        },
        "advertising": {
            "granted": False,
            "signal": "categoryPreferences",
            "basis": "cmp",
            "detail": "category C0004",
        },
    }
    assert len(trace["signal_problems"]) == 1
    assert CANARY not in repr(trace["signal_problems"])


# --- any consent object: never an error, never a grant no signal gave ----------------------

NAMES = st.sampled_from(["analytics", "C0004", "ad_storage", "x"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.sampled_from(["granted", "denied", ALL_TCF, "CPx", "C0004"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
CONSENT_KEYS = ["categoryPreferences", "tcf", "gdpr_consent", "googleConsentMode", "gcm",
                "ad_storage", "analytics_storage", "gpc", "other"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(CONSENT_KEYS), JSON, max_size=5), st.booleans())
def test_any_consent_object_resolves_and_grants_only_by_a_signal_or_default(
    consent: dict[str, Any], eu: bool
) -> None:
    result = resolve(consent, country="FR" if eu else None, categories=frozenset({"location"}))
    assert list(result.purposes) == ["service", "analytics", "advertising", "location"]
    for purpose, found in result.purposes.items():
        if found.granted and found.signal == "default":
            assert purpose != "location" and not (eu and purpose != "service")
    granted, signal = decision(result, "location")
    assert not granted or signal in ("categoryPreferences", "tcf")


SITUATIONS = st.tuples(
    st.dictionaries(st.sampled_from(CONSENT_KEYS), JSON, max_size=4),
    st.sampled_from([None, "JP", "FR", "US"]),
    st.booleans(),
    st.booleans(),
    st.sampled_from([{}, {"adTrackingEnabled": False}, {"trackingStatus": "denied"}]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(SITUATIONS, min_size=1, max_size=12))
def test_a_resolver_that_remembers_answers_as_a_fresh_one_each_time(
    situations: list[tuple[dict[str, Any], str | None, bool, bool, dict[str, Any]]],
) -> None:
    """The resolver remembers the consent of events without stored choices (by country,
    request signals, tracking setting and the consent context's exact bytes): after any
    sequence of events, each is answered as a resolver that never saw another would."""
    kept = ConsentResolver(POLICY, frozenset({"location"}))
    for consent, country, gpc, dnt, device in situations * 2:  # the second pass: remembered
        context: dict[str, Any] = {"consent": consent, "device": device}
        if country:
            context["geo"] = {"country": country}
        event = {"type": "track", "anonymousId": "a1", "context": context}
        signals = RequestSignals(gpc=gpc, dnt=dnt)
        fresh = ConsentResolver(POLICY, frozenset({"location"})).resolve(event, signals, None)
        assert kept.resolve(event, signals, None) == fresh


def test_an_unreadable_tc_string_refuses_a_tcf_vendor_whatever_its_purposes() -> None:
    """A string that cannot be read records no vendor consent: a destination with a
    tcf_vendor_id is refused as for a string without its vendor, never let through as if
    no string had been sent (fail closed)."""
    crm = WebhookConfig.model_validate(
        {"name": "crm", "type": "webhook", "url": "https://crm.example.net/e", "country": "JP",
         "purposes": ["service"], "fields": ["type", "event"], "tcf_vendor_id": 755,
         "role": "processor"}
    )  # fmt: skip
    router = Router([crm], {}, POLICY)
    outcomes = {}
    for label, tcf in (
        ("unreadable", CANARY),
        ("without 755", tc_string({"purposes": [1], "vendors": [1]})),
        ("with 755", tc_string({"purposes": [1], "vendors": [755]})),
        ("none", None),
    ):
        consent = resolve({"tcf": tcf} if tcf else {})
        (verdict,) = router.route({"type": "track", "event": "E"}, consent)
        outcomes[label] = (verdict.send, verdict.reason)
    refused = (False, "TCF string gives no consent to vendor 755")
    assert outcomes == {
        "unreadable": refused,
        "without 755": refused,
        "with 755": (True, "sent"),
        "none": (True, "sent"),
    }
    assert resolve({"tcf": CANARY}).tcf is NO_TCF_CONSENT


def _resolver_for_review() -> Any:
    from gateway.config.defaults import builtin_policy
    from gateway.policy.consent.resolver import ConsentResolver

    return ConsentResolver(builtin_policy(), frozenset())


def test_a_consent_mode_denial_is_not_undone_by_a_grant_elsewhere() -> None:
    from gateway.policy.consent.resolver import RequestSignals

    for consent in (
        {"ad_storage": "denied", "consentMode": {"ad_storage": "granted"}},
        {"gcm": {"ad_storage": "denied"}, "consentMode": {"ad_storage": "granted"}},
        {"consentMode": {"ad_storage": "granted"}, "gcm": {"ad_storage": "denied"}},
    ):
        decided = _resolver_for_review().resolve(
            {"context": {"consent": consent}}, RequestSignals(), {}
        )
        assert not decided.granted("advertising"), consent


def test_gpc_in_the_event_as_sdks_send_it() -> None:
    from gateway.policy.consent.resolver import RequestSignals

    for value in (True, 1, "1", "true", "TRUE"):
        event = {"context": {"consent": {"gpc": value}}}
        assert (
            not _resolver_for_review().resolve(event, RequestSignals(), {}).granted("advertising")
        )
    for value in (False, 0, "0", "false", None, 1.0):
        event = {"context": {"consent": {"gpc": value}}}
        assert _resolver_for_review().resolve(event, RequestSignals(), {}).granted("advertising")


def test_several_tc_strings_grant_only_what_all_of_them_grant() -> None:
    from gateway.policy.consent.resolver import RequestSignals
    from tests.policy.harness import tc_string

    everything = tc_string({"purposes": range(1, 11), "vendors": [755]})
    nothing = tc_string({"purposes": [], "vendors": []})
    for consent in ({"tcf": everything, "gdpr_consent": nothing},
                    {"tcf": nothing, "tcString": everything}):  # fmt: skip
        decided = _resolver_for_review().resolve(
            {"context": {"consent": consent}}, RequestSignals(), {}
        )
        assert not decided.granted("analytics") and not decided.granted("advertising")
        assert decided.tcf is not None and 755 not in decided.tcf.vendor_consents
    garbage = {"tcf": everything, "tcString": "garbage!!"}
    decided = _resolver_for_review().resolve(
        {"context": {"consent": garbage}}, RequestSignals(), {}
    )
    assert not decided.granted("advertising")
    assert any("unreadable" in p for p in decided.problems)
