"""A compiled plan on single events, in process: what it trims, drops and says."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.config.schema import SourceConfig
from gateway.plans.apply import CompiledPlan, PlanBook
from gateway.plans.model import TrackingPlan


def compiled(**plan: Any) -> CompiledPlan:
    return CompiledPlan(TrackingPlan.model_validate({"name": "p", **plan}))


def findings(decision: Any) -> list[tuple[str, str, str]]:
    return [(f.code, f.path, f.action) for f in decision.findings] if decision else []


def test_nested_objects_and_arrays_keep_only_declared_keys() -> None:
    schema = {
        "properties": {
            "cart": {"type": "object", "properties": {"id": {"type": "string"}}},
            "items": {"type": "array", "items": {"properties": {"sku": {"type": "string"}}}},
            "free": {"type": "object", "additionalProperties": True},
            "tagged": {"type": "object", "patternProperties": {"^x_": {"type": "string"}}},
        }
    }
    plan = compiled(events={"Checkout": {"properties": schema}})
    event = {
        "type": "track",
        "event": "Checkout",
        "properties": {
            "cart": {"id": "c1", "owner": "someone"},
            "items": [{"sku": "a", "gps": "x"}, "loose"],
            "free": {"anything": 1},
            "tagged": {"x_a": "1", "y": "2"},
            "top": 1,
        },
    }
    decision = plan.apply(event)
    assert event["properties"] == {
        "cart": {"id": "c1"},
        "items": [{"sku": "a"}, "loose"],
        "free": {"anything": 1},
        "tagged": {"x_a": "1"},
    }
    assert sorted(p for _, p, _ in findings(decision)) == [
        "properties.cart.owner",
        "properties.items[].gps",
        "properties.tagged.y",
        "properties.top",
    ]


def test_a_schema_that_declares_keys_elsewhere_is_not_trimmed_there() -> None:
    """Keys behind $ref or anyOf are declared where the trimmer does not look: kept, and the
    validator judges them."""
    schema = {
        "definitions": {"a": {"type": "string"}},
        "anyOf": [{"properties": {"a": {"$ref": "#/definitions/a"}}}],
    }
    plan = compiled(events={"E": {"properties": schema}})
    event = {"type": "track", "event": "E", "properties": {"a": "x", "b": 1}}
    assert plan.apply(event) is None
    assert event["properties"] == {"a": "x", "b": 1}


def test_unplanned_properties_allow_keeps_them() -> None:
    plan = compiled(unplanned_properties="allow", events={"E": {}})
    event = {"type": "track", "event": "E", "properties": {"a": 1}}
    assert plan.apply(event) is None and event["properties"] == {"a": 1}


def test_identify_traits_follow_the_plan() -> None:
    traits = {"properties": {"plan": {"enum": ["free", "pro"]}, "seats": {"type": "integer"}}}
    plan = compiled(identify={"traits": traits})
    event = {"type": "identify", "traits": {"plan": "gold", "seats": 2, "phone": "x"}}
    decision = plan.apply(event)
    assert event["traits"] == {"seats": 2}
    assert findings(decision) == [
        ("unplanned_property", "traits.phone", "removed"),
        ("enum", "traits.plan", "removed"),
    ]
    assert decision is not None and decision.event == "identify"


@pytest.mark.parametrize(
    ("kind", "name", "planned"),
    [
        ("page", "Home", True),
        ("page", "Admin", False),
        ("page", None, True),
        ("screen", "Settings", True),
        ("screen", "Home", False),
    ],
)
def test_page_and_screen_names(kind: str, name: str | None, planned: bool) -> None:
    plan = compiled(pages=["Home", ""], screens=["Settings"])
    decision = plan.apply({"type": kind, "name": name} if name else {"type": kind})
    assert (decision is None) is planned
    if not planned:
        assert decision is not None and decision.dropped


def test_pages_are_not_planned_unless_listed() -> None:
    assert compiled().apply({"type": "page", "name": "Anything"}) is None


def test_other_calls_pass() -> None:
    plan = compiled(events={"E": {}})
    for kind in ("group", "alias", "identify"):
        assert plan.apply({"type": kind, "traits": {"a": 1}}) is None


def test_drop_event_drops_on_any_violation_and_counts_each() -> None:
    schema = {"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "required": ["c"]}
    plan = compiled(violations="drop_event", events={"E": {"properties": schema}})
    decision = plan.apply({"type": "track", "event": "E", "properties": {"a": "1", "b": 2}})
    assert decision is not None and decision.dropped
    assert sorted(findings(decision)) == [
        ("required", "properties.c", "event_dropped"),
        ("type", "properties.a", "event_dropped"),
        ("type", "properties.b", "event_dropped"),
    ]


def test_constraints_other_than_type_enum_and_required() -> None:
    schema = {
        "properties": {
            "qty": {"type": "integer", "minimum": 1},
            "code": {"type": "string", "pattern": "^[A-Z]+$"},
        }
    }
    plan = compiled(events={"E": {"properties": schema}})
    event = {"type": "track", "event": "E", "properties": {"qty": 0, "code": "ok", "n": 1}}
    decision = plan.apply(event)
    assert event["properties"] == {}
    assert ("constraint", "properties.qty", "removed") in findings(decision)
    assert ("constraint", "properties.code", "removed") in findings(decision)


def test_a_schema_default_never_adds_a_value() -> None:
    schema = {"properties": {"a": {"type": "string", "default": "filled"}}}
    plan = compiled(events={"E": {"properties": schema}})
    event: dict[str, Any] = {"type": "track", "event": "E", "properties": {}}
    plan.apply(event)
    assert event["properties"] == {}


def test_the_book_applies_a_sources_plan_only() -> None:
    plans = [TrackingPlan.model_validate({"name": "p", "events": {"E": {}}})]
    sources = [
        SourceConfig(id="a", write_key="key-a-0001", kind="server", tracking_plan="p"),
        SourceConfig(id="b", write_key="key-b-0001", kind="server"),
    ]
    book = PlanBook(plans, sources)
    events = [
        {"type": "track", "event": "X", "messageId": "m1"},
        {"type": "track", "event": "E", "messageId": "m2"},
    ]
    kept, result = book.apply("a", list(events))
    assert [e["messageId"] for e in kept] == ["m2"]
    assert result is not None and result.dropped == [("m1", "track")]
    assert book.apply("b", list(events)) == (events, None)


def test_a_fault_in_the_plan_drops_that_event_only(caplog: pytest.LogCaptureFixture) -> None:
    plans = [TrackingPlan.model_validate({"name": "p", "events": {"E": {}}})]
    source = SourceConfig(id="a", write_key="key-a-0001", kind="server", tracking_plan="p")
    book = PlanBook(plans, [source])
    poisoned = {"type": "track", "event": "E", "messageId": "m1", "properties": Exploding()}
    fine = {"type": "track", "event": "E", "messageId": "m2"}
    kept, result = book.apply("a", [poisoned, fine])
    assert kept == [fine]
    assert result is not None and result.dropped == [("m1", "track")]
    assert findings(result.decisions["m1"]) == [("internal_error", "", "event_dropped")]
    assert "RuntimeError" in caplog.text and "secret" not in caplog.text


class Exploding(dict[str, Any]):
    def keys(self) -> Any:
        raise RuntimeError("secret value")

    def __bool__(self) -> bool:
        return True
