"""Property: after a plan with `unplanned_properties: drop`, every key left in an event's
properties is one the schema declares, at any depth it describes, whatever the event."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.plans.apply import CompiledPlan
from gateway.plans.model import TrackingPlan

ITEM = {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {}}}
SCHEMA = {
    "type": "object",
    "properties": {
        "total": {"type": "number"},
        "cart": {"type": "object", "properties": {"id": {}, "owner": {"properties": {"n": {}}}}},
        "items": {"type": "array", "items": ITEM},
    },
}
KEYS = st.sampled_from(["total", "cart", "items", "id", "owner", "n", "sku", "qty", "gps", "x"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


def undeclared(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    """Keys in `value` that `schema` does not declare (all its object levels are closed)."""
    found: list[str] = []
    if isinstance(value, dict) and ("properties" in schema or schema.get("type") == "object"):
        declared = schema.get("properties", {})
        for key, inner in value.items():
            if key not in declared:
                found.append(f"{path}.{key}")
            else:
                found += undeclared(inner, declared[key], f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            found += undeclared(item, schema["items"], f"{path}[]")
    return found


PLAN = CompiledPlan(
    TrackingPlan.model_validate(
        {"name": "p", "violations": "allow", "events": {"E": {"properties": SCHEMA}}}
    )
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=6))
def test_no_undeclared_key_survives(properties: dict[str, Any]) -> None:
    event = {"type": "track", "event": "E", "properties": properties}
    PLAN.apply(event)
    assert undeclared(event["properties"], SCHEMA, "properties") == []
