"""JSON Schemas compiled by fastjsonschema (draft 4, 6 and 7), checked against the draft 7
meta-schema first so that a mistake reads as a sentence, not as a compiler's traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import fastjsonschema
import orjson

Validator = Callable[[Any], Any]
DRAFTS = (
    "http://json-schema.org/draft-04/schema",
    "http://json-schema.org/draft-06/schema",
    "http://json-schema.org/draft-07/schema",
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


_SELF = {"$ref": "#"}
_COUNT = {"type": "integer", "minimum": 0}
_NAMES = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
_SCHEMAS = {"type": "array", "minItems": 1, "items": _SELF}
_TYPES = {"enum": ["array", "boolean", "integer", "null", "number", "object", "string"]}
_MAP = {"type": "object", "additionalProperties": _SELF}

# The draft 7 meta-schema (json-schema.org/draft-07/schema), without its defaults and $id
# (fastjsonschema would otherwise fill defaults in, or resolve "#" by URL).
META_SCHEMA: dict[str, Any] = {
    "definitions": {"schemaArray": _SCHEMAS, "simpleTypes": _TYPES},
    "type": ["object", "boolean"],
    "properties": {
        "$id": {"type": "string"}, "$schema": {"type": "string"},
        "$ref": {"type": "string"}, "$comment": {"type": "string"},
        "title": {"type": "string"}, "description": {"type": "string"},
        "readOnly": {"type": "boolean"}, "examples": {"type": "array"},
        "multipleOf": {"type": "number", "exclusiveMinimum": 0},
        "maximum": {"type": "number"}, "exclusiveMaximum": {"type": "number"},
        "minimum": {"type": "number"}, "exclusiveMinimum": {"type": "number"},
        "maxLength": _COUNT, "minLength": _COUNT,
        "pattern": {"type": "string", "format": "regex"},
        "additionalItems": _SELF,
        "items": {"anyOf": [_SELF, _ref("schemaArray")]},
        "maxItems": _COUNT, "minItems": _COUNT,
        "uniqueItems": {"type": "boolean"}, "contains": _SELF,
        "maxProperties": _COUNT, "minProperties": _COUNT,
        "required": _NAMES, "additionalProperties": _SELF,
        "definitions": _MAP, "properties": _MAP,
        "patternProperties": {**_MAP, "propertyNames": {"format": "regex"}},
        "dependencies": {"type": "object",
                         "additionalProperties": {"anyOf": [_SELF, _NAMES]}},
        "propertyNames": _SELF, "enum": {"type": "array"},
        "type": {"anyOf": [_ref("simpleTypes"), {"type": "array", "items": _ref("simpleTypes"),
                                                 "minItems": 1, "uniqueItems": True}]},
        "format": {"type": "string"}, "contentMediaType": {"type": "string"},
        "contentEncoding": {"type": "string"},
        "if": _SELF, "then": _SELF, "else": _SELF,
        "allOf": _ref("schemaArray"), "anyOf": _ref("schemaArray"),
        "oneOf": _ref("schemaArray"), "not": _SELF,
    },
}  # fmt: skip


@functools.cache
def _meta() -> Validator:
    return fastjsonschema.compile(META_SCHEMA, use_default=False)


def schema_problem(schema: Any) -> str | None:
    """One sentence on what is wrong with a schema, or None. Schemas come from the config,
    never from a payload, so quoting the compiler's message is safe."""
    try:
        _meta()(schema)
    except fastjsonschema.JsonSchemaValueException as exc:
        name = exc.name or "data"
        where = name.removeprefix("data").lstrip(".") or "the schema"
        message = str(exc.message).removeprefix(name).strip()
        if where == "type" or where.endswith(".type"):
            message = f"must be one of {', '.join(_TYPES['enum'])}, or a list of them"
        return f"JSON Schema error at {where}: {message}"
    declared = schema.get("$schema") if isinstance(schema, dict) else None
    if declared is not None and declared.rstrip("#") not in DRAFTS:
        return f'JSON Schema error: $schema "{declared}" is not draft 4, 6 or 7 (those supported)'
    for key, ref in _refs(schema):
        if not ref.startswith("#"):
            if key == "$ref":
                return f'JSON Schema error: $ref "{ref}" is not local (only "#/..." refs are read)'
            # A base URI would send the refs below it to the network when compiled.
            return f'JSON Schema error: {key} "{ref}" names a base URI; plans are self-contained'
    try:
        compiled(schema)
    except Exception as exc:  # the compiler's own refusals: bad regex, unresolvable ref, …
        return f"JSON Schema error: {_first_line(exc)}"
    return None


def _refs(schema: Any) -> Iterator[tuple[str, str]]:
    """(keyword, value) of every $ref, $id and (draft 4) id in a schema."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("$ref", "$id", "id") and isinstance(value, str):
                yield key, value
            else:
                yield from _refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _refs(item)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def compiled(schema: dict[str, Any]) -> Validator:
    """The schema's validator; the same schema text is compiled once (a reload, `check` and
    the runtime build the same plans)."""
    return _compile(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS).decode())


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> Validator:
    # use_default=False: a schema's `default` must not add values to events.
    return fastjsonschema.compile(orjson.loads(text), use_default=False)
