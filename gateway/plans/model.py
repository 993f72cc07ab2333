"""The plan model (`plans:` in any config file), given to the config loader as the
destinations' models are."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from gateway.config.schema import PlanConfig, Strict
from gateway.plans.schemas import schema_problem

Unplanned = Literal["allow", "drop"]
Violations = Literal["allow", "drop_property", "drop_event"]
OBJECT: dict[str, Any] = {"type": "object"}


class EventPlan(Strict):
    description: str = ""
    properties: dict[str, Any] = Field(default_factory=lambda: dict(OBJECT))
    """JSON Schema (draft 4, 6 or 7) of the event's `properties`."""


class IdentifyPlan(Strict):
    description: str = ""
    traits: dict[str, Any] = Field(default_factory=lambda: dict(OBJECT))
    """JSON Schema of an identify call's `traits`."""


class TrackingPlan(PlanConfig):
    """Declared track events (name → properties schema), identify traits and page/screen
    names, and what happens to the rest. Defaults fail closed: what nobody declared is
    dropped; a value that breaks its schema loses that property."""

    description: str = ""
    unplanned_events: Unplanned = "drop"
    unplanned_properties: Unplanned = "drop"
    violations: Violations = "drop_property"
    events: dict[str, EventPlan] = {}
    identify: IdentifyPlan | None = None
    pages: list[str] | None = None
    """Declared page names (`""` for pages sent without one); absent: pages are not planned."""
    screens: list[str] | None = None

    def schemas(self) -> list[tuple[str, dict[str, Any]]]:
        """(where, schema) of every JSON Schema in the plan."""
        found = [(f'event "{name}": properties', e.properties) for name, e in self.events.items()]
        if self.identify is not None:
            found.append(("identify: traits", self.identify.traits))
        return found

    def problems(self) -> list[str]:
        return [
            f"{where}: {problem}"
            for where, schema in self.schemas()
            if (problem := schema_problem(schema)) is not None
        ]

    def event_count(self) -> int:
        return len(self.events)
