"""Every removal names the detector and rule that decided it (what `gateway explain` prints),
checked on the development split of the corpus and on the walk's own rules."""

from __future__ import annotations

from gateway.policy.forbidden import registry
from gateway.policy.forbidden.rules import (
    AD_ID_DETECTOR,
    TEXT_RULES,
    WALK_DETECTORS,
    detector_of,
)
from gateway.policy.forbidden.sweep import IP_RULE
from tests.policy.corpus.measure import engine, load, sanitise

RECOGNISERS = {
    judge.name
    for judge in (*registry.STRINGS, *registry.UNREADABLE, *registry.RECORDS, *registry.COLLECTIONS)
}
DETECTORS = RECOGNISERS | {*WALK_DETECTORS.values(), *TEXT_RULES.values(), AD_ID_DETECTOR}


def test_a_recognisers_rule_names_it_also_when_wrapped() -> None:
    assert detector_of("location.polyline:encoded_path", "location") == "location.polyline"
    assert detector_of("decoded:embedded:contacts.text:people", "contacts") == "contacts.text"
    assert detector_of("url_param:location.pair:lat_lng", "location") == "location.pair"
    assert detector_of(IP_RULE, "ip_address") == "identifiers.ip"


def test_the_walks_rules_name_its_parts() -> None:
    assert detector_of("key_name", "location") == "keys"
    assert detector_of("known_path", "location") == "paths"
    assert detector_of("value:coordinates", "location") == "shapes"
    assert detector_of("value:embedded_json", "message_content") == "texts"
    assert detector_of("url_param", "sensitive") == "urls"
    assert detector_of("zero_id", "advertising_id") == AD_ID_DETECTOR


def test_every_removal_in_the_corpus_names_a_known_detector() -> None:
    policy = engine()
    named = set()
    for row in load("forbidden.json"):
        if row["split"] != "dev":
            continue
        _, removed = sanitise(policy, row["event"])
        for removal in removed:
            detector = detector_of(removal.rule, removal.category)
            assert detector in DETECTORS | {"identifiers.ip"}, (row["id"], removal)
            named.add(detector)
    assert len(named) >= 10  # the walk's parts and the recognisers both decide
