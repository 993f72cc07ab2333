"""Plans as one JSON Schema (draft 7) document and back: each planned call is a branch of
`anyOf` (`type`, and `event` or `name`, as constants); the plan's settings ride in
`x-gateway-plan`. A tool that reads JSON Schema validates planned events with it as it is."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from gateway.plans.model import TrackingPlan

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
SETTINGS = "x-gateway-plan"


def export_plan(plan: TrackingPlan) -> dict[str, Any]:
    branches = [
        _branch("track", {"event": {"const": name}, "properties": event.properties}, name)
        for name, event in plan.events.items()
    ]
    if plan.identify is not None:
        branches.append(_branch("identify", {"traits": plan.identify.traits}, "identify"))
    for kind, names in (("page", plan.pages), ("screen", plan.screens)):
        if names is not None:
            branches.append(_branch(kind, {"name": {"enum": names}}, kind))
    settings = {"unplanned_events": plan.unplanned_events,
                "unplanned_properties": plan.unplanned_properties,
                "violations": plan.violations}  # fmt: skip
    document: dict[str, Any] = {"$schema": DRAFT_07, "title": plan.name}
    if plan.description:
        document["description"] = plan.description
    return {**document, SETTINGS: settings, "anyOf": branches}


def _branch(kind: str, fields: dict[str, Any], title: str) -> dict[str, Any]:
    required = ["type", *(k for k in ("event",) if k in fields)]
    return {"title": title, "type": "object",
            "properties": {"type": {"const": kind}, **fields}, "required": required}  # fmt: skip


class NotAPlanExport(ValueError):
    """The document is not a plan export; the sentences say where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def import_plan(document: Any, name: str | None = None) -> dict[str, Any]:
    """The plan (as written under `plans:`) from an exported document."""
    if not isinstance(document, dict) or not isinstance(document.get("anyOf"), list):
        raise NotAPlanExport(["the document has no anyOf list of planned calls"])
    settings = document.get(SETTINGS, {})
    plan: dict[str, Any] = {"name": name or document.get("title"),
                            **(settings if isinstance(settings, dict) else {})}  # fmt: skip
    if document.get("description"):
        plan["description"] = document["description"]
    problems: list[str] = []
    for index, branch in enumerate(document["anyOf"]):
        problem = _read_branch(branch, plan)
        if problem:
            problems.append(f"anyOf #{index + 1}: {problem}")
    if problems:
        raise NotAPlanExport(problems)
    try:
        model = TrackingPlan.model_validate(plan)
    except ValidationError as exc:
        raise NotAPlanExport([_sentence(e) for e in exc.errors(include_input=False)]) from None
    if model.problems():
        raise NotAPlanExport(model.problems())
    written = model.model_dump(mode="json", exclude_defaults=True)
    settings = {k: getattr(model, k) for k in ("unplanned_events", "unplanned_properties",
                                                "violations")}  # fmt: skip
    return {"name": model.name, **settings, **written}


def _sentence(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def _read_branch(branch: Any, plan: dict[str, Any]) -> str | None:
    fields = branch.get("properties") if isinstance(branch, dict) else None
    if not isinstance(fields, dict):
        return "not an object schema with properties"
    kind = fields.get("type", {}).get("const") if isinstance(fields.get("type"), dict) else None
    if kind == "track":
        event = fields.get("event")
        name = event.get("const") if isinstance(event, dict) else None
        if not isinstance(name, str):
            return "a track branch needs properties.event.const (the event name)"
        plan.setdefault("events", {})[name] = {"properties": fields.get("properties", {})}
    elif kind == "identify":
        plan["identify"] = {"traits": fields.get("traits", {})}
    elif kind in ("page", "screen"):
        names = fields.get("name", {}).get("enum") if isinstance(fields.get("name"), dict) else None
        if not isinstance(names, list):
            return f"a {kind} branch needs properties.name.enum (the names)"
        plan["pages" if kind == "page" else "screens"] = names
    else:
        return "properties.type.const must be track, identify, page or screen"
    return None
