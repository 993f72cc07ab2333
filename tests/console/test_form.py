"""The editor's form: a destination to form values and back, and the check's own sentences
(from the real loader) placed beside the control of the key they name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.console.form import FORM_KEYS, destination_of, place, values_of
from gateway.destinations.registry import read_config
from gateway.errors import ConfigError
from tests.support.configs import webhook, write_config

WORDS = {"bad_yaml": "unreadable", "own_control": "{key}: has a control"}
FULL: dict[str, Any] = {
    "name": "ads",
    "type": "webhook",
    "url": "https://collector.example.net/events",
    "country": "US",
    "purposes": ["analytics", "advertising"],
    "events": {"types": ["track", "page"], "names": ["Order *", "Signed Up"]},
    "fields": ["event", "properties.plan", "context.page.path"],
    "transforms": {"context.traits.email": "sha256", "properties.plan": {"rename": "plan"}},
    "role": "joint_use",
    "responsible_party": "Example Holdings",
    "recipient": {"name": "Example Ads Inc.", "opt_out_url": "https://ads.example.net/out"},
    "description": "Measures campaigns",
    "enabled": False,
    "secret_env": "ADS_SECRET",
    "batch_size": 10,
}


def test_a_destination_goes_through_the_form_unchanged() -> None:
    values = values_of(FULL)
    assert values["fields"] == "event\nproperties.plan\ncontext.page.path"
    assert values["purpose.advertising"] == "on" and "purpose.service" not in values
    assert values["enabled"] == ""
    body, wrong = destination_of(values, FULL, WORDS)
    assert wrong == {}
    assert body == FULL
    assert list(body) == list(FULL)  # keys in the order a person writes them


def test_empty_controls_leave_their_keys_out_and_an_added_field_is_appended() -> None:
    values = values_of({"name": "hook", "type": "webhook", "purposes": ["analytics"]})
    values.update(fields="event\n\n  type  \n", add_field="properties.plan", enabled="on")
    body, wrong = destination_of(values, None, WORDS)
    assert wrong == {}
    assert body == {
        "name": "hook",
        "type": "webhook",
        "purposes": ["analytics"],
        "fields": ["event", "type", "properties.plan"],
    }
    stored = {"name": "hook", "enabled": True}
    assert destination_of(values, stored, WORDS)[0]["enabled"] is True


def test_unreadable_boxes_are_said_beside_them() -> None:
    values = values_of(FULL)
    values.update(transforms="- a list", other="fields: [event]\nsecret_env: [unclosed")
    _, wrong = destination_of(values, FULL, WORDS)
    assert wrong["transforms"] == ["unreadable"]
    assert wrong["other"][0].startswith("unreadable (")
    values.update(transforms="", other="fields: [event]")  # a key that has its own control
    assert destination_of(values, FULL, WORDS)[1] == {"other": ["fields: has a control"]}


def sentences(tmp_path: Path, **destination: Any) -> list[str]:
    hook = webhook("hook", "https://collector.example.net/events", **destination)
    directory = write_config(tmp_path / "config", destinations=[hook, webhook("other", "x")])
    with pytest.raises(ConfigError) as caught:
        read_config(directory)
    return caught.value.problems


def test_the_checks_sentences_go_beside_the_key_they_name(tmp_path: Path) -> None:
    problems = sentences(
        tmp_path,
        country="CN",
        purposes=["analytics", "nope"],
        fields=["event", 3],
        transforms={"event": "rot13"},
        events={"types": "track"},
        recipient={"name": ""},
        role="joint_use",
        secret_env="NOT_SET_ANYWHERE_0001",
        headers={"bad header": "x"},
        contry="JP",
    )
    others = {"secret_env", "headers", "allow_private_network", "contry"}
    beside, rest = place(problems, "hook", others)
    assert set(beside) == {
        "country",
        "purposes",
        "fields",
        "transforms",
        "events_types",
        "recipient_name",
        "role",
        "other",
    }
    assert beside["country"][0].startswith('country "CN" is not an allowed transfer country')
    assert beside["other"] == [
        'headers: header name "bad header" is not a valid HTTP header name',
        'unknown key "contry" (did you mean "country"?)',
        'secret_env "NOT_SET_ANYWHERE_0001" is not set in the environment',
    ]
    assert beside["fields"][0].startswith("fields.1:")
    assert "responsible_party" in beside["role"][0]
    placed = [p for said in beside.values() for p in said]
    assert not [p for p in placed if p.startswith("destinations.yaml")]
    # Another destination's problem is not this one's: it stays whole, for the summary.
    assert rest and all('destination "other"' in p for p in rest)


def test_a_sentence_naming_no_key_of_the_form_goes_to_the_summary() -> None:
    problem = 'destinations.yaml: destination "hook": plain http to the public host "x"'
    assert place([problem], "hook", set()) == ({}, [problem])
    assert place(["policy.yaml: purposes: nothing"], "hook", set()) == (
        {},
        ["policy.yaml: purposes: nothing"],
    )
    unknown = 'destinations.yaml: destination "hook": unknown key "colour"'
    assert place([unknown], "hook", {"colour"}) == ({"other": ['unknown key "colour"']}, [])
    assert "colour" not in FORM_KEYS
    missing = 'destinations.yaml: destination "hook": missing required key "measurement_id"'
    assert place([missing], "hook", set()) == (
        {"other": ['missing required key "measurement_id"']},
        [],
    )
    missing_url = 'destinations.yaml: destination "hook": missing required key "url"'
    assert place([missing_url], "hook", set())[0] == {"url": ['missing required key "url"']}
