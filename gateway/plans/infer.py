"""A draft plan from sample events: event names, property names and JSON types. No value is
copied into the plan (no enums, no examples): sample events hold personal data, a plan is
a file people share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
              (dict, "object"), (list, "array"))  # fmt: skip


@dataclass
class Seen:
    """What the samples showed at one place: its types, and inside objects and arrays."""

    types: set[str] = field(default_factory=set)
    objects: int = 0
    keys: dict[str, Seen] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    items: Seen | None = None

    def add(self, value: Any) -> None:
        self.types.add(_type(value))
        if isinstance(value, dict):
            self.objects += 1
            for key, inner in value.items():
                self.keys.setdefault(str(key), Seen()).add(inner)
                self.counts[str(key)] = self.counts.get(str(key), 0) + 1
        elif isinstance(value, list):
            self.items = self.items or Seen()
            for item in value:
                self.items.add(item)

    def schema(self) -> dict[str, Any]:
        types = sorted(self.types - {"integer"} if "number" in self.types else self.types)
        schema: dict[str, Any] = {"type": types[0] if len(types) == 1 else types} if types else {}
        if "object" in self.types:
            schema["properties"] = {k: s.schema() for k, s in self.keys.items()}
            required = [k for k, n in self.counts.items() if n == self.objects]
            if required:
                schema["required"] = required
        if "array" in self.types and self.items is not None and self.items.types:
            schema["items"] = self.items.schema()
        return schema


def _type(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in JSON_TYPES:
        if isinstance(value, kind):
            return name
    return "string"


def infer_plan(events: Iterable[dict[str, Any]], name: str) -> dict[str, Any]:
    """The plan as it is written under `plans:`; strict settings, to review before use."""
    tracks: dict[str, Seen] = {}
    traits: Seen | None = None
    pages: dict[str, None] = {}
    screens: dict[str, None] = {}
    for event in events:
        kind = event.get("type")
        if kind == "track" and isinstance(event.get("event"), str):
            tracks.setdefault(event["event"], Seen()).add(event.get("properties") or {})
        elif kind == "identify":
            traits = traits or Seen()
            traits.add(event.get("traits") or {})
        elif kind in ("page", "screen"):
            names = pages if kind == "page" else screens
            names[str(event.get("name") or "")] = None
    plan: dict[str, Any] = {
        "name": name,
        "description": "drafted by gateway plan infer: review before use",
        "unplanned_events": "drop",
        "unplanned_properties": "drop",
        "violations": "drop_property",
        "events": {n: {"properties": _top(seen)} for n, seen in sorted(tracks.items())},
    }
    if traits is not None:
        plan["identify"] = {"traits": _top(traits)}
    if pages:
        plan["pages"] = sorted(pages)
    if screens:
        plan["screens"] = sorted(screens)
    return plan


def _top(seen: Seen) -> dict[str, Any]:
    schema = seen.schema()
    schema["type"] = "object"
    return schema
