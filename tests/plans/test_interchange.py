"""Plans to one JSON Schema document and back."""

from __future__ import annotations

from typing import Any

import fastjsonschema
import pytest

from gateway.plans.interchange import NotAPlanExport, export_plan, import_plan
from gateway.plans.model import TrackingPlan
from gateway.plans.schemas import schema_problem

PLAN: dict[str, Any] = {
    "name": "shop",
    "unplanned_events": "allow",
    "unplanned_properties": "drop",
    "violations": "drop_event",
    "events": {
        "Order Completed": {
            "properties": {
                "type": "object",
                "properties": {"total": {"type": "number"}},
                "required": ["total"],
            }
        }
    },
    "identify": {"traits": {"type": "object", "properties": {"plan": {"type": "string"}}}},
    "pages": ["Home", ""],
    "screens": ["Settings"],
}


def test_export_then_import_gives_the_same_plan() -> None:
    plan = TrackingPlan.model_validate(PLAN)
    again = import_plan(export_plan(plan))
    assert TrackingPlan.model_validate(again) == plan


def test_the_export_validates_planned_events_as_json_schema() -> None:
    validate = fastjsonschema.compile(export_plan(TrackingPlan.model_validate(PLAN)))
    validate({"type": "track", "event": "Order Completed", "properties": {"total": 1}})
    validate({"type": "page", "name": "Home"})
    with pytest.raises(fastjsonschema.JsonSchemaValueException):
        validate({"type": "track", "event": "Order Completed", "properties": {"total": "1"}})


def test_import_names_what_is_wrong() -> None:
    document = {
        "title": "x",
        "anyOf": [
            {"properties": {"type": {"const": "track"}}},
            {"properties": {"type": {"const": "alias"}}},
        ],
    }
    with pytest.raises(NotAPlanExport) as caught:
        import_plan(document)
    assert caught.value.problems == [
        "anyOf #1: a track branch needs properties.event.const (the event name)",
        "anyOf #2: properties.type.const must be track, identify, page or screen",
    ]
    bad_schema = {
        "title": "x",
        "anyOf": [
            {
                "properties": {
                    "type": {"const": "track"},
                    "event": {"const": "E"},
                    "properties": {"type": "text"},
                }
            }
        ],
    }
    with pytest.raises(NotAPlanExport) as caught:
        import_plan(bad_schema)
    assert caught.value.problems[0].startswith('event "E": properties: JSON Schema error at type')


@pytest.mark.parametrize(
    ("schema", "sentence"),
    [
        (
            {"$ref": "https://schemas.example/x.json"},
            'JSON Schema error: $ref "https://schemas.example/x.json" is not local '
            '(only "#/..." refs are read)',
        ),
        (
            {"properties": {"a": {"$id": "https://schemas.example/", "$ref": "#/b"}}},
            'JSON Schema error: $id "https://schemas.example/" names a base URI; plans are '
            "self-contained",
        ),
        (
            {"$schema": "https://json-schema.org/draft/2020-12/schema"},
            'JSON Schema error: $schema "https://json-schema.org/draft/2020-12/schema" is not '
            "draft 4, 6 or 7 (those supported)",
        ),
        ({"properties": {"id": {"type": "string"}}}, None),
    ],
)
def test_a_plan_never_reaches_the_network_for_a_schema(
    schema: dict[str, Any], sentence: str | None
) -> None:
    assert schema_problem(schema) == sentence
