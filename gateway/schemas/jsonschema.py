"""JSON Schema (draft 2020-12) of each config file, built from the pydantic models.

Sections may sit in any `*.yaml` of the config directory; each schema describes the file
that holds them by convention (`gateway.yaml`, `sources.yaml`, `destinations.yaml`,
`policy.yaml`), which is what editors complete through the files' `yaml-language-server`
modeline (`schemas/*.json`, written by `python -m gateway.schemas.jsonschema schemas`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway.config.schema import GatewayFile, PolicyFile, SourceConfig
from gateway.destinations.registry import CONFIG_MODELS
from gateway.plans.model import TrackingPlan

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FILES = ("gateway", "sources", "destinations", "policy", "plans")
SOURCES = "Who may send events: one entry per website, app or server."
DESTINATIONS = "Third parties and what each may receive; a field not named in fields is never sent."
POLICY = "Omitted keys take the built-in policy, which mirrors the company policy."
PLANS = "Declared events and their property schemas; what is not declared is dropped by default."
TITLES = {
    "gateway": "gateway.yaml: server, storage, limits, admin tokens, delivery, retention",
    "sources": "sources.yaml: who may send events",
    "destinations": "destinations.yaml: third parties and what each may receive",
    "policy": "policy.yaml: the privacy policy the gateway enforces",
    "plans": "plans.yaml: tracking plans, which sources name in tracking_plan",
}


def file_schema(name: str) -> dict[str, Any]:
    """The schema of one config file; `name` is one of FILES."""
    if name == "gateway":
        body, defs = _model(GatewayFile)
    elif name == "policy":
        policy, defs = _models([PolicyFile])
        body = _object({"policy": {**policy[PolicyFile], "description": POLICY}})
    elif name == "sources":
        source, defs = _models([SourceConfig])
        sources = {"type": "array", "items": source[SourceConfig], "description": SOURCES}
        body = _object({"sources": sources})
    elif name == "destinations":
        body, defs = _destinations()
    elif name == "plans":
        plan, defs = _models([TrackingPlan])
        plans = {"type": "array", "items": plan[TrackingPlan], "description": PLANS}
        body = _object({"plans": plans})
    else:
        raise ValueError(f"no schema named {name!r} (one of: {', '.join(FILES)})")
    schema = {"$schema": DRAFT, "$id": f"{name}.json", "title": TITLES[name], **_tidy(body)}
    if defs:
        schema["$defs"] = {k: _tidy(v) for k, v in defs.items()}
    return schema


def _tidy(value: Any) -> Any:
    """Descriptions on one line (they come from wrapped docstrings), without pydantic's
    titles, which only repeat the key."""
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "properties":
            out[key] = {name: _tidy(v) for name, v in item.items()}
        elif key == "title" and isinstance(item, str):
            continue
        elif key == "description" and isinstance(item, str):
            out[key] = " ".join(item.split())
        else:
            out[key] = _tidy(item)
    return out


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _model(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = model.model_json_schema(mode="validation", ref_template="#/$defs/{model}")
    defs = schema.pop("$defs", {})
    schema.pop("title", None)
    return schema, defs


def _models(
    models: list[type[BaseModel]],
) -> tuple[dict[type[BaseModel], dict[str, Any]], dict[str, Any]]:
    refs, top = models_json_schema(
        [(m, "validation") for m in models], ref_template="#/$defs/{model}"
    )
    return {m: refs[(m, "validation")] for m in models}, top.get("$defs", {})


def _destinations() -> tuple[dict[str, Any], dict[str, Any]]:
    """Each item is one adapter's model, chosen by its `type` (if/then per type, so an
    editor completes the keys of the type written)."""
    kinds = sorted(CONFIG_MODELS)
    refs, defs = _models([CONFIG_MODELS[k] for k in kinds])
    choices = [
        {
            "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
            "then": refs[CONFIG_MODELS[kind]],
        }
        for kind in kinds
    ]
    item = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": kinds, "description": "The destination's adapter."}},
        "allOf": choices,
    }
    destinations = {"type": "array", "items": item, "description": DESTINATIONS}
    return _object({"destinations": destinations}), defs


def write_schemas(directory: Path) -> list[Path]:
    """Each file's schema as DIRECTORY/NAME.json (what the configs' modelines name)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FILES:
        path = directory / f"{name}.json"
        path.write_text(json.dumps(file_schema(name), indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for written in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(written)
