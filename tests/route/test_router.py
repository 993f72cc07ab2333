"""Router: purpose check → event filter → projection → transforms → format, per destination,
without touching the event or letting one destination's rule leak into another's payload."""

from __future__ import annotations

import copy
import fnmatch
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.config.schema import PolicyFile
from gateway.destinations.webhook import WebhookConfig
from gateway.policy.consent.resolver import Consent, PurposeDecision
from gateway.route import router as router_module
from gateway.route.projection import Projection
from gateway.route.router import Router, _Patterns, idempotency_key, idempotency_keys

GRANTED = Consent(
    purposes={p: PurposeDecision(True, "default") for p in ("service", "analytics", "advertising")}
)


def rule(name: str, **extra: Any) -> WebhookConfig:
    config = {
        "name": name,
        "type": "webhook",
        "url": "https://collector.example.net/events",
        "country": "US",
        "purposes": ["analytics"],
        "fields": ["event"],
        "role": "processor",
        **extra,
    }
    return WebhookConfig.model_validate(config)


def event() -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "userId": "u1",
        "messageId": "m1",
        "properties": {"email": "Ann@Example.com", "total": 3, "items": [{"sku": "A"}]},
        "context": {
            "traits": {"email": "Ann@Example.com", "phone": "090-1234-5678"},
            "page": {"path": "/done", "url": "https://shop.example.com/done"},
            "ip": "203.0.113.0",
        },
    }


def leaf_paths(value: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if isinstance(value, dict) and value:
        return {p for k, v in value.items() for p in leaf_paths(v, (*path, k))}
    if isinstance(value, list) and value:
        return {p for item in value for p in leaf_paths(item, path)}
    return {path}


def test_each_destination_gets_its_own_projection_and_the_event_is_untouched() -> None:
    destinations = [
        rule(
            "renames",
            fields=["context", "properties.email"],
            transforms={"properties.email": {"rename": "context.traits.em"}, "context.ip": "drop"},
        ),
        rule("hashes", fields=["context.traits"], transforms={"context.traits.email": "sha256"}),
        rule("plain", fields=["context.traits", "properties.items.sku"]),
    ]
    original = event()
    routed = event()
    verdicts = Router(destinations, {}, PolicyFile()).route(routed, GRANTED)
    assert routed == original
    payloads = {v.destination: v.payload for v in verdicts}
    assert payloads["plain"] == {
        "context": {"traits": original["context"]["traits"]},
        "properties": {"items": [{"sku": "A"}]},
    }
    assert payloads["hashes"] is not None
    assert payloads["hashes"]["context"]["traits"]["email"] != "Ann@Example.com"
    assert payloads["renames"] is not None
    assert payloads["renames"]["context"]["traits"]["em"] == "Ann@Example.com"
    assert "ip" not in payloads["renames"]["context"]
    assert "properties" not in payloads["renames"]


def test_no_payload_carries_a_path_its_patterns_do_not_name() -> None:
    patterns = [
        ["event", "properties.**"],
        ["context.*"],
        ["**.email"],
        ["properties.items.sku", "context.page.path"],
    ]
    destinations = [rule(f"d{i}", fields=p) for i, p in enumerate(patterns)]
    for verdict, fields in zip(
        Router(destinations, {}, PolicyFile()).route(event(), GRANTED), patterns, strict=True
    ):
        assert verdict.payload
        projection = Projection(fields)
        assert all(projection.allows(path) for path in leaf_paths(verdict.payload))


@pytest.mark.parametrize(
    ("consent", "reason"),
    [
        (Consent(purposes={}), 'purpose "analytics" not granted (decided by undeclared)'),
        (
            Consent(purposes={"analytics": PurposeDecision(False, "stored preference")}),
            'purpose "analytics" not granted (decided by stored preference)',
        ),
        (
            Consent(purposes=GRANTED.purposes, suspended_provision=True),
            "provision to third parties is suspended for this subject",
        ),
        (
            Consent(purposes=GRANTED.purposes, vendor_refusals=frozenset({"hook"})),
            "the customer refused this vendor",
        ),
    ],
)
def test_consent_refusals_send_nothing(consent: Consent, reason: str) -> None:
    (verdict,) = Router([rule("hook")], {}, PolicyFile()).route(event(), consent)
    assert (verdict.send, verdict.payload, verdict.reason) == (False, None, reason)


def test_every_declared_purpose_must_be_granted() -> None:
    consent = Consent(
        purposes={
            "analytics": PurposeDecision(True, "default"),
            "advertising": PurposeDecision(False, "sec-gpc"),
        }
    )
    destinations = [rule("both", purposes=["analytics", "advertising"]), rule("one")]
    verdicts = Router(destinations, {}, PolicyFile()).route(event(), consent)
    assert [v.send for v in verdicts] == [False, True]
    assert "advertising" in verdicts[0].reason


def test_a_tcf_vendor_without_consent_gets_nothing() -> None:
    tcf: Any = SimpleNamespace(vendor_consents=frozenset({7}))
    consent = Consent(purposes=GRANTED.purposes, tcf=tcf)
    destinations = [rule("seven", tcf_vendor_id=7), rule("eight", tcf_vendor_id=8)]
    verdicts = Router(destinations, {}, PolicyFile()).route(event(), consent)
    assert [v.send for v in verdicts] == [True, False]
    assert verdicts[1].reason == "TCF string gives no consent to vendor 8"


def test_disabled_destinations_are_not_routed() -> None:
    router = Router([rule("on"), rule("off", enabled=False)], {}, PolicyFile())
    assert [d.name for d in router.destinations] == ["on"]
    assert [v.destination for v in router.route(event(), GRANTED)] == ["on"]


def test_the_formatter_receives_the_transformed_payload() -> None:
    seen: list[dict[str, Any]] = []

    def wrap(payload: dict[str, Any]) -> dict[str, Any]:
        seen.append(payload)
        return {"wrapped": payload}

    destination = rule(
        "f", fields=["context.traits.email"], transforms={"context.traits.email": {"rename": "em"}}
    )
    (verdict,) = Router([destination], {"f": wrap}, PolicyFile()).route(event(), GRANTED)
    assert seen == [{"em": "Ann@Example.com"}]
    assert verdict.payload == {"wrapped": {"em": "Ann@Example.com"}}


def test_categories_come_from_the_delivered_paths() -> None:
    destinations = [
        rule("a", fields=["userId", "context.page.path", "context.ip"]),
        rule("b", fields=["event"]),
        rule("c", fields=["context.traits"], transforms={"context.traits": "drop"}),
    ]
    verdicts = Router(destinations, {}, PolicyFile()).route(event(), GRANTED)
    assert verdicts[0].categories == ("browsing_history", "identifiers", "ip_address")
    assert verdicts[1].categories == ("browsing_history",)
    assert (verdicts[2].send, verdicts[2].reason) == (
        False,
        "no allowed field is present in this event",
    )


def test_the_idempotency_key_is_stable_per_message_and_destination() -> None:
    key = idempotency_key("m1", "hook")
    assert key == idempotency_key("m1", "hook")
    assert key.startswith("msg_") and len(key) == 36
    assert len({key, idempotency_key("m1", "other"), idempotency_key("m2", "hook")}) == 3


def test_routing_does_not_copy_the_event_into_the_verdict() -> None:
    original = event()
    routed = copy.deepcopy(original)
    (verdict,) = Router([rule("all", fields=["**"])], {}, PolicyFile()).route(routed, GRANTED)
    assert verdict.payload == original
    assert verdict.as_dict()["categories"] == list(verdict.categories)


@pytest.mark.parametrize(
    ("events", "sent"),
    [
        ({"types": ["track"], "names": ["*"]}, True),
        ({"types": ["page"], "names": ["*"]}, False),
        ({"types": ["t*"], "names": ["Order *"]}, True),
        ({"types": ["track"], "names": ["Order ?ompleted", "Signed Up"]}, True),
        ({"types": ["track"], "names": ["order *", "[!O]rder Completed"]}, False),
        ({"types": ["*"], "names": ["Order Completed"]}, True),
    ],
)
def test_the_event_filter_reads_types_and_names_as_globs(
    events: dict[str, list[str]], sent: bool
) -> None:
    (verdict,) = Router([rule("f", events=events)], {}, PolicyFile()).route(event(), GRANTED)
    assert verdict.send is sent
    assert sent or verdict.code == "event_filter"


@given(
    st.lists(st.from_regex(r"[A-Za-z *?\[\]!]{0,8}", fullmatch=True), min_size=1, max_size=4),
    st.lists(st.text(alphabet="Orde Cmplt*?[]!a", max_size=10), min_size=1, max_size=5),
)
def test_compiled_name_patterns_admit_what_fnmatch_admits(
    patterns: list[str], names: list[str]
) -> None:
    compiled = _Patterns(patterns)
    for name in names * 2:  # the second time from its memory
        assert compiled.admit(name) == any(fnmatch.fnmatchcase(name, p) for p in patterns)


def test_refusals_kept_per_consent_follow_each_consent() -> None:
    router = Router([rule("hook"), rule("third", role="third_party")], {}, PolicyFile())
    refused = Consent(purposes=GRANTED.purposes, suspended_provision=True)
    explicit = Consent(
        purposes={"analytics": PurposeDecision(True, "categoryPreferences")}
    )
    for _ in range(2):
        assert [v.code for v in router.route(event(), GRANTED)] == ["sent", "no_prior_consent"]
        assert [v.code for v in router.route(event(), refused)] == ["provision_suspended"] * 2
        assert [v.code for v in router.route(event(), explicit)] == ["sent", "sent"]


@given(st.text(max_size=60), st.lists(st.text(max_size=30), max_size=5))
def test_keys_for_several_destinations_are_each_ones_key(
    message_id: str, destinations: list[str]
) -> None:
    keys = idempotency_keys(message_id, destinations)
    assert keys == [idempotency_key(message_id, d) for d in destinations]


def test_the_names_a_filter_remembers_are_bounded_in_number_and_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(router_module, "NAME_CACHE_SIZE", 4)
    compiled = _Patterns(["Order *"])
    for n in range(10):
        assert compiled.admit(f"Order {n}") and not compiled.admit(f"order {n}")
    long_name = "Order " + "x" * router_module.MAX_REMEMBERED_NAME
    assert compiled.admit(long_name)
    assert len(compiled._seen) <= 4 and long_name not in compiled._seen
