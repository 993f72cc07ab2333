"""Recipients' roles (policy, "Matters concerning provision to third parties"): a processor
follows the purpose defaults; a third party or joint user receives an event only when each
of its purposes was granted by an explicit signal, unless the company declares a registered
opt-out procedure; a child's event reaches no third party."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.config.schema import PolicyFile
from gateway.destinations.webhook import WebhookConfig
from gateway.policy.consent.resolver import ConsentResolver, RequestSignals
from gateway.route.router import Router

POLICY = PolicyFile()
RESOLVER = ConsentResolver(POLICY, frozenset())
EVENT = {"type": "track", "event": "Order Completed", "anonymousId": "a1"}


def destination(role: str | None, purposes: list[str] | None = None, **extra: Any) -> WebhookConfig:
    config: dict[str, Any] = {
        "name": role or "unstated", "type": "webhook", "url": "https://r.example.net/e",
        "country": "JP", "purposes": purposes or ["advertising"], "fields": ["event"], **extra,
    }  # fmt: skip
    if role is not None:
        config["role"] = role
    return WebhookConfig.model_validate(config)


def sent(
    router: Router, consent_field: dict[str, Any], stored: dict[str, Any] | None = None
) -> set[str]:
    event = {**EVENT, "context": {"consent": consent_field}}
    consent = RESOLVER.resolve(event, RequestSignals(), stored)
    return {v.destination for v in router.route(event, consent) if v.send}


ROLES = [destination("processor"), destination("third_party"),
         destination("joint_use", responsible_party="Group HQ"), destination(None)]  # fmt: skip


def test_no_role_is_a_third_party() -> None:
    assert destination(None).role == "third_party"


def test_defaults_reach_processors_only_and_explicit_grants_reach_everyone() -> None:
    router = Router(ROLES, {}, POLICY)
    assert sent(router, {}) == {"processor"}
    everyone = {"processor", "third_party", "joint_use", "unstated"}
    assert sent(router, {"categoryPreferences": {"advertising": True}}) == everyone
    assert sent(router, {}, {"purposes": {"advertising": True}}) == everyone
    assert sent(router, {"ad_storage": "granted"}) == everyone  # Consent Mode is explicit


def test_the_refusal_names_the_basis() -> None:
    router = Router([destination("third_party")], {}, POLICY)
    (verdict,) = router.route(EVENT, RESOLVER.resolve(EVENT, RequestSignals(), None))
    assert verdict.code == "no_prior_consent" and "purpose_default" in verdict.reason


def test_a_registered_opt_out_procedure_lets_defaults_reach_third_parties() -> None:
    policy = PolicyFile(third_party_basis="opt_out")
    router = Router(ROLES, {}, policy)
    assert sent(router, {}) == {"processor", "third_party", "joint_use", "unstated"}
    # A child's event still reaches no third party.
    assert sent(router, {"child": True, "categoryPreferences": {"analytics": True}}) == set()


def test_a_childs_event_reaches_processors_for_other_purposes_only() -> None:
    analytics = [destination("processor", ["analytics"]), destination("third_party", ["analytics"])]
    router = Router([*analytics], {}, POLICY)
    grant = {"categoryPreferences": {"analytics": True}}
    assert sent(router, grant) == {"processor", "third_party"}
    assert sent(router, {**grant, "child": True}) == {"processor"}
    assert sent(router, {**grant, "age": 9}) == {"processor"}


SIGNALS = st.fixed_dictionaries(
    {},
    optional={
        "categoryPreferences": st.dictionaries(
            st.sampled_from(["analytics", "advertising", "C0004"]), st.booleans(), max_size=3
        ),
        "ad_storage": st.sampled_from(["granted", "denied"]),
        "analytics_storage": st.sampled_from(["granted", "denied"]),
        "child": st.booleans(),
        "age": st.integers(0, 40),
        "gpc": st.booleans(),
    },
)
STORED = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"purposes": st.dictionaries(st.sampled_from(["analytics", "advertising"]), st.booleans())}
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    SIGNALS, STORED, st.sampled_from([["advertising"], ["analytics"], ["analytics", "advertising"]])
)
def test_a_third_party_never_receives_without_an_explicit_grant_of_each_purpose(
    consent_field: dict[str, Any], stored: dict[str, Any] | None, purposes: list[str]
) -> None:
    router = Router([destination("third_party", purposes)], {}, POLICY)
    event = {**EVENT, "context": {"consent": consent_field}}
    consent = RESOLVER.resolve(event, RequestSignals(), stored)
    (verdict,) = router.route(event, consent)
    if verdict.send:
        assert not consent.child
        for purpose in purposes:
            decision = consent.purposes[purpose]
            assert decision.granted and decision.basis in ("explicit_choice", "cmp", "consent_mode")
    if consent.child:
        assert not verdict.send and not consent.granted("advertising")


@pytest.mark.parametrize("role", ["third_party", "joint_use"])
def test_the_notice_version_changes_when_a_consent_needing_recipient_is_added(role: str) -> None:
    from pathlib import Path

    from gateway.config.loader import Config
    from gateway.config.schema import GatewayFile
    from gateway.privacy.notice import notice_version

    def config(*destinations: WebhookConfig) -> Config:
        return Config(Path("."), GatewayFile(), (), destinations, POLICY)

    before = config(destination("processor"))
    with_processor = config(destination("processor"), destination("processor", name="p2"))
    extra = {"responsible_party": "HQ"} if role == "joint_use" else {}
    with_third = config(destination("processor"), destination(role, name="t", **extra))
    assert notice_version(before) == notice_version(with_processor)
    assert notice_version(before) != notice_version(with_third)
