"""What a plan did to one event: findings with fixed reason codes. Paths name keys, never
values; metric labels take the code, the action and the planned event's name (from the
config), never a name taken from the event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNPLANNED_EVENT = "unplanned_event"
UNPLANNED_PROPERTY = "unplanned_property"
TYPE, ENUM, REQUIRED, CONSTRAINT = "type", "enum", "required", "constraint"
RULES = {"type": TYPE, "enum": ENUM, "const": ENUM, "required": REQUIRED}
"""fastjsonschema's failed keyword → our reason code (any other keyword: `constraint`)."""

REMOVED, KEPT, EVENT_DROPPED = "removed", "kept", "event_dropped"
UNPLANNED_LABEL = "(unplanned)"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    path: str
    """`properties.coupon`, `traits.address.city`; empty for the event as a whole."""
    action: str


FAULT = Finding("internal_error", "", EVENT_DROPPED)
"""The plan itself failed on the event (a fault of ours): dropped, as the policy would."""


@dataclass(slots=True)
class PlanDecision:
    plan: str
    event: str
    """The planned name (the track event's name in the plan, or `identify`) or (unplanned)."""
    findings: list[Finding]
    dropped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "event": self.event,
            "dropped": self.dropped,
            "findings": [{"code": f.code, "path": f.path, "action": f.action}
                         for f in self.findings],
        }  # fmt: skip


@dataclass(slots=True)
class PlanResult:
    """A request's plan decisions: those with findings, by messageId, and the events the
    plan dropped whole (messageId and type only: their data goes no further)."""

    plan: str
    decisions: dict[str, PlanDecision] = field(default_factory=dict)
    dropped: list[tuple[str, str]] = field(default_factory=list)
