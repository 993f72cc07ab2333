"""docs/config.md, the reference of every config key, generated from the JSON Schema:
`python -m gateway.schemas.reference > docs/config.md` (tests/schemas/test_schema.py
fails when the file and the models differ)."""

from __future__ import annotations

import json
from typing import Any

from gateway.schemas.jsonschema import FILES, file_schema

REQUIRED = "x-required"  # marks, in the rows only, a key its mapping must have
HEADER = """# Configuration reference

Generated from the config models by `python -m gateway.schemas.reference > docs/config.md`;
do not edit by hand. Machine-readable: `gateway schema gateway|sources|destinations|policy`
prints each file's JSON Schema (draft 2020-12); `schemas/` holds the same for editors (the
shipped configs name them in a `yaml-language-server` modeline). Every `*.yaml` in the
config directory is read; a section may sit in any of them, and each file below is where
the shipped configs keep it. Unknown keys are errors.
"""


def markdown() -> str:
    parts = [HEADER]
    for name in FILES:
        schema = file_schema(name)
        intro = schema["title"].split(": ", 1)[1]
        parts.append(f"\n## `{name}.yaml`\n\n{intro[:1].upper()}{intro[1:]}.\n\n")
        rows: list[tuple[str, str, str, str]] = []
        for key, prop in schema["properties"].items():
            _rows(key, prop, schema["$defs"], rows)
        parts.append(_table(rows))
    return "".join(parts)


def _rows(
    path: str, prop: dict[str, Any], defs: dict[str, Any], rows: list[tuple[str, str, str, str]]
) -> None:
    rows.append((path, _type(prop, defs), _default(prop), prop.get("description", "")))
    for child_path, child in _children(path, prop, defs):
        _rows(child_path, child, defs, rows)


def _children(
    path: str, prop: dict[str, Any], defs: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """Keys nested under a property: an object's own, an array's items', each variant's."""
    target = _resolve(prop, defs)
    if target.get("type") == "array" and isinstance(target.get("items"), dict):
        return _children(f"{path}[]", target["items"], defs)
    variants = target.get("oneOf") or target.get("anyOf") or []
    if "allOf" in target:
        return _variant_children(path, target, defs)
    if variants:
        return _union_children(path, [_resolve(v, defs) for v in variants], defs)
    value = _map_value(target)
    if value is not None and "properties" in _resolve(value, defs):
        return _children(f"{path}.NAME", _resolve(value, defs), defs)
    required = set(target.get("required", []))
    return [(f"{path}.{k}", {**v, REQUIRED: k in required}) for k, v in _properties(target)]


def _union_children(
    path: str, variants: list[dict[str, Any]], defs: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """storage: keys every variant has once, the others labelled with their variant."""
    out: list[tuple[str, dict[str, Any]]] = []
    for variant in variants:
        props = variant.get("properties", {})
        tag = next((str(p["const"]) for p in props.values() if "const" in p), "")
        for key, child in props.items():
            child = {**child, REQUIRED: key in variant.get("required", [])}
            shared = all(key in v.get("properties", {}) for v in variants)
            label = f"{path}.{key}" if shared or not tag else f"{path}.{key} ({tag})"
            if shared and "const" in child:
                child = _merged_tag(key, variants)
            if label not in {p for p, _ in out}:
                out.append((label, child))
    return out


def _merged_tag(key: str, variants: list[dict[str, Any]]) -> dict[str, Any]:
    """The key that tells variants apart: every value, each with its own description."""
    tags = [v["properties"][key] for v in variants]
    text = "; ".join(f"{t['const']}: {t.get('description', '').rstrip('.')}" for t in tags)
    return {"enum": [t["const"] for t in tags], "default": tags[0]["const"], "description": text}


def _variant_children(
    path: str, target: dict[str, Any], defs: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """Destinations: the shared keys once, then each type's own keys."""
    kind = {**target["properties"]["type"], REQUIRED: True}
    out: list[tuple[str, dict[str, Any]]] = [(f"{path}.type", kind)]
    seen: set[str] = {f"{path}.type"}
    for choice in target["allOf"]:
        kind = choice["if"]["properties"]["type"]["const"]
        for child_path, child in _children(path, choice["then"], defs):
            key = child_path.rsplit(".", 1)[1]
            shared = all(key in _resolve(c["then"], defs)["properties"] for c in target["allOf"])
            label = child_path if shared else f"{child_path} ({kind})"
            if key == "type":
                continue
            if label not in seen:
                seen.add(label)
                out.append((label, child))
    return out


def _properties(target: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return list(target.get("properties", {}).items())


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    if isinstance(ref, str):
        return {**defs[ref.rsplit("/", 1)[1]], **{k: v for k, v in prop.items() if k != "$ref"}}
    return prop


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    target = _resolve(prop, defs)
    if "const" in target:
        return json.dumps(target["const"])
    if "enum" in target:
        return " \\| ".join(json.dumps(v) for v in target["enum"])
    variants = target.get("oneOf") or target.get("anyOf")
    if variants:
        return " \\| ".join(dict.fromkeys(_type(v, defs) for v in variants))
    kind = target.get("type", "object")
    if kind == "array" and isinstance(target.get("items"), dict):
        return f"list of {_type(target['items'], defs)}"
    value = _map_value(target)
    if kind == "object" and value is not None:
        return f"map to {_type(value, defs)}"
    return str(kind)


def _map_value(target: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a map's values (a dict[str, X] field), if `target` is a map."""
    if isinstance(target.get("additionalProperties"), dict):
        return dict(target["additionalProperties"])
    patterns = list(target.get("patternProperties", {}).values())
    return dict(patterns[0]) if len(patterns) == 1 else None


def _default(prop: dict[str, Any]) -> str:
    if "default" not in prop:
        return "required" if prop.get(REQUIRED) else "optional"
    text = json.dumps(prop["default"], ensure_ascii=False)
    return f"`{text}`" if len(text) <= 40 else "see `gateway schema`"


def _table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for path, kind, default, description in rows:
        cells = [f"`{path}`", kind, default, description.replace("|", "\\|")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
