"""Tracking-plan violations, from the live debugger's entries: per source, plan and planned
event, how many recent events had findings, how many the plan dropped, and each finding
(reason code, path, action) with its count. Paths and codes only: the debugger never holds
a value the plan removed, and an event the plan dropped is there without its data."""

from __future__ import annotations

from collections import Counter
from typing import Any


def summarise(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`entries` newest first; groups in the order their newest event came."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    counts: dict[tuple[str, str, str], Counter[tuple[str, str, str]]] = {}
    for entry in entries:
        plan = entry.get("plan")
        if not plan:
            continue
        key = (str(entry.get("source")), str(plan["plan"]), str(plan["event"]))
        if key not in groups:
            groups[key] = {
                "source": key[0],
                "plan": key[1],
                "event": key[2],
                "events": 0,
                "dropped": 0,
                "last_at": entry.get("at"),
                "last_messageId": entry.get("messageId"),
            }
            counts[key] = Counter()
        groups[key]["events"] += 1
        groups[key]["dropped"] += bool(plan.get("dropped"))
        counts[key].update((f["code"], f["path"], f["action"]) for f in plan["findings"])
    return [
        {
            **group,
            "findings": [
                {"code": code, "path": path, "action": action, "count": count}
                for (code, path, action), count in counts[key].most_common()
            ],
        }
        for key, group in groups.items()
    ]
