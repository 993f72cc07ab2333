"""`gateway explain` and POST /admin/explain: the intake's own path, with an outbox that
keeps nothing, and an account of what happened to every field and destination.
Paths and reasons only: removed values are never shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from gateway.config.schema import SourceConfig
from gateway.intake.intake import Arrival, DiscardingOutbox, Intake, Taken
from gateway.intake.spec import parse_json
from gateway.policy.consent.resolver import RequestSignals


class SourceLookup(Protocol):
    def authenticate(self, authorization: str | None, body_key: object) -> SourceConfig: ...

    def default_key(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Question:
    """An event to explain and the request around it: the request headers that carry
    consent signals, the write key that picks the source (default: the first source), and
    the visitor's address and user agent as the edge would have stamped them."""

    raw: bytes
    headers: dict[str, str]
    write_key: str | None = None
    address: str | None = None
    user_agent: str | None = None


async def explain_event(
    intake: Intake, sources: SourceLookup, question: Question
) -> dict[str, Any]:
    """The trace of each event; raises the intake's refusals (Refused) as the edge would."""
    signals = RequestSignals(
        gpc=question.headers.get("sec-gpc") == "1", dnt=question.headers.get("dnt") == "1"
    )
    document = parse_json(question.raw)
    body_key = document.pop("writeKey", None) if isinstance(document, dict) else None
    source = sources.authenticate(None, question.write_key or body_key or sources.default_key())
    arrival = Arrival(source, question.address, question.user_agent, signals, len(question.raw))
    taken = await intake.take(document, _implied(document), arrival, DiscardingOutbox())
    return {
        "source": source.id,
        "policy_version": intake.pipeline.config.policy.version,
        "signals": {"sec_gpc": signals.gpc, "dnt": signals.dnt},
        "tracking_plan": source.tracking_plan,
        "repeated": taken.repeated,
        "events": _traces(taken),
    }


def _implied(document: Any) -> str | None:
    """A single event posted to explain is a track unless it names its type."""
    if not isinstance(document, dict) or "batch" in document:
        return None
    kind = document.get("type")
    return kind if isinstance(kind, str) else "track"


UNJUDGED: dict[str, Any] = {
    "dropped": "could not be judged (a fault of ours)",
    "drop_code": "internal_error",
    "purposes": {},
    "signal_problems": [],
    "removed": [],
    "destinations": [],
}


PLAN_DROPPED: dict[str, Any] = {
    "dropped": "dropped by the tracking plan",
    "drop_code": "tracking_plan",
    "purposes": {},
    "signal_problems": [],
    "removed": [],
    "destinations": [],
}


def _traces(taken: Taken) -> list[dict[str, Any]]:
    outcomes = iter(taken.outcomes)
    decisions = taken.plan.decisions if taken.plan is not None else {}
    traces = []
    for event in taken.events:
        message_id = event["messageId"]
        trace = dict(UNJUDGED) if message_id in taken.unjudged else next(outcomes).trace()
        trace["messageId"] = message_id
        trace["type"] = event.get("type")
        decision = decisions.get(message_id)
        trace["plan"] = decision.as_dict() if decision is not None else None
        traces.append(trace)
    for message_id, kind in taken.plan.dropped if taken.plan is not None else ():
        trace = {**PLAN_DROPPED, "messageId": message_id, "type": kind}
        traces.append({**trace, "plan": decisions[message_id].as_dict()})
    return traces


def render_refusal(status: int, message: str) -> str:
    return f"rejected ({status}): {_shown(message)}\n"


def render_text(result: dict[str, Any]) -> str:
    lines = [f"source {result['source']}, policy {result['policy_version']}"]
    if result.get("tracking_plan"):
        lines[0] += f", tracking plan {result['tracking_plan']}"
    for index, trace in enumerate(result["events"]):
        lines.append(f"\nevent {index + 1}: {_shown(trace['type'])} {_shown(trace['messageId'])}")
        if trace["dropped"]:
            lines.append(f"  DROPPED: {trace['dropped']}")
        lines += _plan_lines(trace.get("plan"), bool(result.get("tracking_plan")))
        lines.append("  consent:")
        for name, decision in trace["purposes"].items():
            verdict = "granted" if decision["granted"] else "DENIED"
            detail = f" — {decision['detail']}" if decision.get("detail") else ""
            lines.append(f"    {name:<12} {verdict:<8} by {decision['signal']}{detail}")
        for problem in trace["signal_problems"]:
            lines.append(f"    ! {problem}")
        lines.append(f"  removed ({len(trace['removed'])}):")
        for removal in trace["removed"]:
            where = _shown(removal["path"])
            decided = f"[{removal['category']}: {removal['rule']}] by {removal['detector']}"
            lines.append(f"    - {where}  {decided}")
        lines.append("  destinations:")
        for verdict in trace["destinations"]:
            mark = "SEND" if verdict["send"] else "skip"
            lines.append(f"    {mark} {verdict['destination']}: {_shown(verdict['reason'])}")
            if verdict.get("payload") is not None:
                fields = ", ".join(_shown(path) for path in _paths(verdict["payload"]))
                lines.append(f"         fields: {fields}")
                lines.append(f"         categories: {', '.join(verdict['categories'])}")
    return "\n".join(lines) + "\n"


def _plan_lines(plan: dict[str, Any] | None, planned: bool) -> list[str]:
    if plan is None:
        return ["  tracking plan: nothing to say (planned, or not covered)"] if planned else []
    lines = [f"  tracking plan {plan['plan']}: event {_shown(plan['event'])}"]
    for finding in plan["findings"]:
        where = _shown(finding["path"]) or "the event"
        lines.append(f"    - {where}  [{finding['code']}: {finding['action']}]")
    return lines


def _shown(value: Any) -> str:
    """Event key names and IDs come from the client: newlines and terminal control sequences
    are printed escaped, so an event cannot forge or hide lines of its own explanation."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _paths(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict) and value:
        out: list[str] = []
        for key, item in value.items():
            out += _paths(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        merged: dict[str, None] = {}
        for item in value:
            merged.update(dict.fromkeys(_paths(item, f"{prefix}[]")))
        return list(merged)
    return [prefix]
