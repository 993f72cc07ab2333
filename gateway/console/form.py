"""The destination editor's form: one control per key of a destination, read from and made
back into the destination object the API takes, and the check's sentences placed beside
the control of the key each one names (the rest go to the summary at the top).

Keys without a control of their own (secret_env, headers, a vendor's ids, …) are edited as
YAML in the "other keys" box, so the form can express every destination and a save never
drops a key it does not show."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

RECIPIENT_KEYS = ("name", "contact", "privacy_policy_url", "opt_out_url")
ROLES = ("processor", "third_party", "joint_use")
FORM_KEYS = (
    "name", "type", "url", "country", "purposes", "events", "fields", "transforms", "role",
    "responsible_party", "recipient", "description", "enabled",
)  # fmt: skip
# `file: destination "name": rest`, as the loader and the cross-checks say it (building the
# adapters says it without the file).
SENTENCE = re.compile(r'^(?:[^:"]*: )?destination "(?P<name>[^"]*)": (?P<rest>.*)$', re.S)
LOCATION = re.compile(r"[A-Za-z_]+(?:\.[A-Za-z0-9_*]+)*")
# At a destination's top level the loader names the key inside the sentence.
KEY_SENTENCE = re.compile(r'(?:unknown|missing required) key "(?P<key>[A-Za-z_]+)"')
# The cross-checks name a key in the singular ('purpose "x" is not declared').
SINGULAR = {"purpose": "purposes", "transform": "transforms"}


@dataclass
class Options:
    """The choices the controls offer."""

    types: list[str]
    purposes: list[str]
    countries: list[str]
    paths: list[str] = field(default_factory=list)
    """Paths seen in the debugger's recent events (completion for fields)."""


def _yaml(value: Any) -> str:
    return str(yaml.safe_dump(value, sort_keys=False, allow_unicode=True)) if value else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def values_of(item: dict[str, Any]) -> dict[str, str]:
    """The form's values for a destination as its file has it."""
    events = _dict(item.get("events"))
    recipient = _dict(item.get("recipient"))
    purposes = item.get("purposes") if isinstance(item.get("purposes"), list) else []
    values = {
        "name": _text(item.get("name")),
        "type": _text(item.get("type")),
        "url": _text(item.get("url")),
        "country": _text(item.get("country")),
        "events_types": ", ".join(map(str, events.get("types") or [])),
        "events_names": "\n".join(map(str, events.get("names") or [])),
        "fields": "\n".join(map(str, item.get("fields") or [])),
        "transforms": _yaml(item.get("transforms")),
        "role": _text(item.get("role")),
        "responsible_party": _text(item.get("responsible_party")),
        "description": _text(item.get("description")),
        "enabled": "" if item.get("enabled") is False else "on",
        "other": _yaml({k: v for k, v in item.items() if k not in FORM_KEYS}),
    }
    values.update({f"recipient_{k}": _text(recipient.get(k)) for k in RECIPIENT_KEYS})
    values.update({f"purpose.{p}": "on" for p in purposes or ()})
    return values


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _mapping(text: str, control: str, wrong: dict[str, list[str]], words: str) -> dict[str, Any]:
    try:
        value = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        wrong[control] = [f"{words} ({type(exc).__name__})"]
        return {}
    if not isinstance(value, dict):
        wrong[control] = [words]
        return {}
    return value


def destination_of(
    values: dict[str, str], stored: dict[str, Any] | None, words: dict[str, str]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The destination object the form's values make, and the controls whose text could not
    be read (with why, in `words`). An empty control leaves its key out; `stored` keeps an
    explicit `enabled: true` as it was."""
    bad_yaml = words["bad_yaml"]
    wrong: dict[str, list[str]] = {}
    body: dict[str, Any] = {}
    for key in ("name", "type", "url", "country"):
        if values.get(key, "").strip():
            body[key] = values[key].strip()
    checked = [key for key, value in values.items() if key.startswith("purpose.") and value]
    body["purposes"] = [key.removeprefix("purpose.") for key in checked]
    events: dict[str, list[str]] = {}
    if types := [t for t in re.split(r"[\s,]+", values.get("events_types", "")) if t]:
        events["types"] = types
    if names := _lines(values.get("events_names", "")):
        events["names"] = names
    if events:
        body["events"] = events
    fields = _lines(values.get("fields", ""))
    added = values.get("add_field", "").strip()
    body["fields"] = [*fields, added] if added and added not in fields else fields
    if transforms := _mapping(values.get("transforms", ""), "transforms", wrong, bad_yaml):
        body["transforms"] = transforms
    for key in ("role", "responsible_party"):
        if values.get(key, "").strip():
            body[key] = values[key].strip()
    recipient = {k: values.get(f"recipient_{k}", "").strip() for k in RECIPIENT_KEYS}
    if any(recipient.values()):
        body["recipient"] = {k: v for k, v in recipient.items() if v}
    if values.get("description", "").strip():
        body["description"] = values["description"].strip()
    if not values.get("enabled"):
        body["enabled"] = False
    elif stored is not None and "enabled" in stored:
        body["enabled"] = stored["enabled"]
    other = _mapping(values.get("other", ""), "other", wrong, bad_yaml)
    for key, value in other.items():
        if key in FORM_KEYS:
            wrong.setdefault("other", []).append(words["own_control"].format(key=key))
        else:
            body[key] = value
    return body, wrong


def control_of(location: str, other_keys: set[str]) -> str | None:
    """The control that edits the key a location names (`fields.2`, `recipient.name`,
    `events.types`, or a cross-check's first word), or None."""
    parts = location.split(".")
    key = SINGULAR.get(parts[0], parts[0])
    if key == "recipient":
        sub = parts[1] if len(parts) > 1 and parts[1] in RECIPIENT_KEYS else "name"
        return f"recipient_{sub}"
    if key == "events":
        return "events_names" if parts[1:2] == ["names"] else "events_types"
    if key in FORM_KEYS:
        return key
    return "other" if key in other_keys else None


def _location(rest: str) -> str | None:
    keyed = KEY_SENTENCE.match(rest)
    if keyed:
        return keyed["key"]
    located = LOCATION.match(rest)
    return located.group() if located else None


def place(
    problems: list[str], name: str, other_keys: set[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """Each sentence about destination `name` that names a key goes beside its control
    (without the file and destination, which the page already says); the rest stay whole
    for the summary. A missing key without a control of its own is added in "other keys",
    so that is where it is said."""
    beside: dict[str, list[str]] = {}
    rest: list[str] = []
    for problem in problems:
        found = SENTENCE.match(problem)
        location = _location(found["rest"]) if found and found["name"] == name else None
        control = None
        if found is not None and location is not None:
            missing = found["rest"].startswith("missing required key")
            control = control_of(location, other_keys | {location} if missing else other_keys)
        if found is None or control is None:
            rest.append(problem)
        else:
            beside.setdefault(control, []).append(found["rest"])
    return beside, rest
