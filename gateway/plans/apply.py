"""A plan compiled for the hot path, applied to one event at a time in place."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastjsonschema import JsonSchemaValueException

from gateway.config.schema import PlanConfig, SourceConfig
from gateway.plans import decision as d
from gateway.plans.decision import Finding, PlanDecision, PlanResult
from gateway.plans.model import TrackingPlan
from gateway.plans.schemas import Validator, compiled
from gateway.plans.shape import Shape, shape_of

log = logging.getLogger("gateway.plans")


class Checked:
    """One schema: the full validator (the fast path), the same without the top-level
    `required` (to find every bad property once the fast path failed), and its shape. The
    second is compiled at the first violation: compiling costs ~6 ms a schema, and a
    reload should not pay it twice for every event of a large plan."""

    __slots__ = ("_body", "_body_schema", "field", "label", "required", "shape", "validate")

    def __init__(self, label: str, field: str, schema: dict[str, Any]) -> None:
        self.label = label
        self.field = field
        self.validate = compiled(schema)
        self.required = tuple(str(r) for r in schema.get("required", ()))
        self.shape = shape_of(schema, top=True) or Shape(frozenset())
        self._body_schema = {k: v for k, v in schema.items() if k != "required"}
        self._body: Validator | None = None if self.required else self.validate

    def body(self, data: Any) -> Any:
        if self._body is None:
            self._body = compiled(self._body_schema)
        return self._body(data)

    def problems(self, data: Any) -> list[tuple[str, str | None]]:
        """(reason code, top-level key or None) of each violation."""
        if not isinstance(data, dict):
            return [(d.TYPE, None)]
        found: list[tuple[str, str | None]] = [(d.REQUIRED, k) for k in self.required
                                               if k not in data]  # fmt: skip
        work = dict(data)
        for _ in range(len(work) + 1):
            try:
                self.body(work)
                break
            except JsonSchemaValueException as exc:
                code = d.RULES.get(exc.rule or "", d.CONSTRAINT)
                key = exc.path[1] if len(exc.path) > 1 else None
                if not isinstance(key, str) or key not in work:
                    found.append((code, None))
                    break
                found.append((code, key))
                del work[key]
        return found


class CompiledPlan:
    def __init__(self, plan: TrackingPlan) -> None:
        self.name = plan.name
        self.events = {n: Checked(n, "properties", e.properties) for n, e in plan.events.items()}
        identify = plan.identify
        self.identify = Checked("identify", "traits", identify.traits) if identify else None
        self.pages = frozenset(plan.pages) if plan.pages is not None else None
        self.screens = frozenset(plan.screens) if plan.screens is not None else None
        self.drop_unplanned = plan.unplanned_events == "drop"
        self.trim = plan.unplanned_properties == "drop"
        self.violations = plan.violations

    def apply(self, event: dict[str, Any]) -> PlanDecision | None:
        """Trim and check `event` in place; the decision when there is anything to say."""
        kind = event.get("type")
        if kind == "track":
            checked = self.events.get(event.get("event"))  # type: ignore[arg-type]
            return self._unplanned() if checked is None else self._check(event, checked)
        if kind == "identify" and self.identify is not None:
            return self._check(event, self.identify)
        names = self.pages if kind == "page" else self.screens if kind == "screen" else None
        if names is not None and (event.get("name") or "") not in names:
            return self._unplanned()
        return None

    def _unplanned(self) -> PlanDecision:
        action = d.EVENT_DROPPED if self.drop_unplanned else d.KEPT
        finding = Finding(d.UNPLANNED_EVENT, "", action)
        return PlanDecision(self.name, d.UNPLANNED_LABEL, [finding], self.drop_unplanned)

    def _check(self, event: dict[str, Any], checked: Checked) -> PlanDecision | None:
        field = checked.field
        data = event.get(field)
        if data is None:
            data = {}
        findings: list[Finding] = []
        if self.trim and isinstance(data, dict) and data:
            removed: list[str] = []
            checked.shape.trim(data, field, removed)
            findings = [Finding(d.UNPLANNED_PROPERTY, path, d.REMOVED) for path in removed]
        try:
            checked.validate(data)
        except JsonSchemaValueException:
            return self._violated(event, checked, data, findings)
        return PlanDecision(self.name, checked.label, findings) if findings else None

    def _violated(
        self, event: dict[str, Any], checked: Checked, data: Any, findings: list[Finding]
    ) -> PlanDecision:
        field, policy = checked.field, self.violations
        dropped = policy == "drop_event"
        for code, key in checked.problems(data):
            path = f"{field}.{key}" if key is not None else field
            if dropped:
                action = d.EVENT_DROPPED
            elif policy == "drop_property" and key is not None and code != d.REQUIRED:
                del data[key]
                action = d.REMOVED
            else:  # allowed, or nothing to remove (a missing property, the object as a whole)
                action = d.KEPT
            findings.append(Finding(code, path, action))
        return PlanDecision(self.name, checked.label, findings, dropped)


class PlanBook:
    """The plan of each source that names one."""

    def __init__(self, plans: Sequence[PlanConfig], sources: Sequence[SourceConfig]) -> None:
        named = {p.name: p for p in plans if isinstance(p, TrackingPlan)}
        used = {s.tracking_plan for s in sources if s.tracking_plan in named}
        built = {name: CompiledPlan(named[name]) for name in used if name is not None}
        self._by_source: Mapping[str, CompiledPlan] = {
            s.id: built[s.tracking_plan] for s in sources if s.tracking_plan in built
        }

    def apply(
        self, source_id: str, events: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], PlanResult | None]:
        """The events that go on (trimmed in place), and the decisions; none without a plan."""
        plan = self._by_source.get(source_id)
        if plan is None:
            return events, None
        result = PlanResult(plan.name)
        kept = []
        for event in events:
            try:
                decision = plan.apply(event)
            except Exception as exc:  # a fault of ours: fail closed, this event only
                log.error("the tracking plan failed on an event (%s); it was dropped",
                          type(exc).__name__)  # fmt: skip
                decision = PlanDecision(plan.name, d.UNPLANNED_LABEL, [d.FAULT], dropped=True)
            if decision is None:
                kept.append(event)
                continue
            message_id = str(event.get("messageId"))
            result.decisions[message_id] = decision
            if decision.dropped:
                result.dropped.append((message_id, str(event.get("type"))))
            else:
                kept.append(event)
        return kept, result
