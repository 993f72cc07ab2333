"""The declared keys of a schema, for removing what was not declared
(`unplanned_properties: drop`), at any depth the schema describes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

COMBINED = ("$ref", "allOf", "anyOf", "oneOf", "if", "dependencies")


@dataclass(frozen=True, slots=True)
class Shape:
    keys: frozenset[str] | None
    """Declared keys; None: not an object schema (nothing to trim at this level)."""
    nested: tuple[tuple[str, Shape], ...] = ()
    """The declared keys with something to trim inside them."""
    free: bool = False
    """`additionalProperties` true or a schema, or keys declared where we cannot see them
    ($ref, anyOf, …): other keys are declared too."""
    patterns: tuple[re.Pattern[str], ...] = ()
    items: Shape | None = None

    def trim(self, value: Any, path: str, removed: list[str]) -> None:
        """Remove undeclared keys from `value` in place; their paths go to `removed`."""
        if isinstance(value, dict) and self.keys is not None:
            keys = self.keys
            if not self.free and not value.keys() <= keys:
                for key in [k for k in value if k not in keys]:
                    if not any(p.search(key) for p in self.patterns):
                        del value[key]
                        removed.append(f"{path}.{key}")
            for key, inner in self.nested:
                if key in value:
                    inner.trim(value[key], f"{path}.{key}", removed)
        elif isinstance(value, list) and self.items is not None:
            inner_path = f"{path}[]"
            for item in value:
                self.items.trim(item, inner_path, removed)


def shape_of(schema: Any, top: bool = False) -> Shape | None:
    """A schema's shape; None when there is nothing to trim inside it. At the top (an
    event's properties, a user's traits) the value is an object whatever the schema says."""
    if not isinstance(schema, dict):
        return None
    items = shape_of(schema["items"]) if isinstance(schema.get("items"), dict) else None
    if not (top or _is_object(schema)):
        return Shape(None, items=items) if items is not None else None
    declared = schema.get("properties")
    keys = {str(k): shape_of(v) for k, v in declared.items()} if isinstance(declared, dict) else {}
    nested = tuple((k, inner) for k, inner in keys.items() if inner is not None)
    extra = schema.get("additionalProperties", False)
    free = extra is not False or any(k in schema for k in COMBINED)
    patterns = tuple(re.compile(p) for p in schema.get("patternProperties", {}))
    return Shape(frozenset(keys), nested, free, patterns, items)


def _is_object(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        kind == "object"
        or (isinstance(kind, list) and "object" in kind)
        or any(k in schema for k in ("properties", "additionalProperties", "patternProperties"))
    )
