"""`gateway explain` and POST /admin/explain: run events through enrich → policy → route
without storing anything, and say what happened to every field and destination.
Paths and reasons only: removed values are never shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.errors import IngestError
from gateway.ingest.spec import events_from, new_message_id, parse_json, stamp_server_fields
from gateway.pipeline import unique_keys
from gateway.policy.categories import NestingTooDeepError
from gateway.policy.consent import RequestSignals
from gateway.runtime import Runtime


async def explain_event(
    runtime: Runtime, raw: bytes, headers: dict[str, str], write_key: str | None
) -> dict[str, Any]:
    config = runtime.config
    try:
        document = parse_json(raw)
        body_key = document.pop("writeKey", None) if isinstance(document, dict) else None
        key = write_key or body_key or (config.sources[0].write_key if config.sources else None)
        source = runtime.sources.authenticate(None, key)
        implied = None if isinstance(document, dict) and "batch" in document else "track"
        if implied and isinstance(document, dict) and isinstance(document.get("type"), str):
            implied = document["type"]
        events = events_from(document, implied, config.gateway.limits)
    except IngestError as exc:
        return {"error": exc.message, "status": exc.status}
    received = datetime.now(UTC)
    for event in events:
        stamp_server_fields(event, received, document.get("sentAt"), new_message_id)
    keys = [runtime.pipeline.prepare(event) for event in events]
    stored = await runtime.store.preferences.get_many(unique_keys(keys))
    signals = RequestSignals(gpc=headers.get("sec-gpc") == "1", dnt=headers.get("dnt") == "1")
    traces = []
    for event, event_keys in zip(events, keys, strict=True):
        try:
            outcome = runtime.pipeline.process(event, event_keys, source, signals, stored)
        except NestingTooDeepError:
            return {"error": "event nests too deeply (counting JSON inside strings)", "status": 400}
        trace = outcome.trace()
        trace["messageId"] = event.get("messageId")
        trace["type"] = event.get("type")
        traces.append(trace)
    return {
        "source": source.id,
        "policy_version": config.policy.version,
        "signals": {"sec_gpc": signals.gpc, "dnt": signals.dnt},
        "events": traces,
    }


def render_text(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"rejected ({result['status']}): {_shown(result['error'])}\n"
    lines = [f"source {result['source']}, policy {result['policy_version']}"]
    for index, trace in enumerate(result["events"]):
        lines.append(f"\nevent {index + 1}: {_shown(trace['type'])} {_shown(trace['messageId'])}")
        if trace["dropped"]:
            lines.append(f"  DROPPED: {trace['dropped']}")
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
            lines.append(f"    - {where}  [{removal['category']}: {removal['rule']}]")
        lines.append("  destinations:")
        for verdict in trace["destinations"]:
            mark = "SEND" if verdict["send"] else "skip"
            lines.append(f"    {mark} {verdict['destination']}: {_shown(verdict['reason'])}")
            if verdict.get("payload") is not None:
                fields = ", ".join(_shown(path) for path in _paths(verdict["payload"]))
                lines.append(f"         fields: {fields}")
                lines.append(f"         categories: {', '.join(verdict['categories'])}")
    return "\n".join(lines) + "\n"


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
