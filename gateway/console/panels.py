"""The console's working pages: preview, live debugger, dead letters, test-event result."""

from __future__ import annotations

import datetime
from typing import Any

from gateway.console.pages import View, e, layout, pretty, table

# The live debugger: new entries from the page's own event stream are put on top of the
# table. Text only (textContent): nothing from an event is ever parsed as HTML.
DEBUGGER_SCRIPT = """
(() => {
  const body = document.getElementById('events-body');
  const url = document.getElementById('events').dataset.stream;
  const source = new EventSource(url);
  const cell = (row, text) => { const td = row.insertCell(); td.textContent = text; return td; };
  source.addEventListener('event', (message) => {
    const entry = JSON.parse(message.data);
    const row = body.insertRow(0);
    row.dataset.messageId = entry.messageId;
    cell(row, new Date(entry.at * 1000).toISOString());
    cell(row, entry.source);
    cell(row, [entry.type, entry.event && entry.event.event].filter(Boolean).join(' '));
    cell(row, entry.messageId);
    cell(row, entry.destinations.map((v) => v.destination + ': ' + (v.send ? 'send' : 'skip')
      + ' (' + v.code + ')').join('\\n'));
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    summary.textContent = body.dataset.details;
    const pre = document.createElement('pre');
    pre.textContent = JSON.stringify({event: entry.event, removed: entry.removed,
      destinations: entry.destinations, plan: entry.plan}, null, 2);
    details.append(summary, pre);
    row.insertCell().append(details);
  });
})();
"""


def _verdicts(entry: dict[str, Any]) -> str:
    lines = [
        f"{v['destination']}: {'send' if v['send'] else 'skip'} ({v['code']})"
        for v in entry["destinations"]
    ]
    return e("\n".join(lines))


def _event_row(view: View, entry: dict[str, Any]) -> list[str]:
    at = datetime.datetime.fromtimestamp(entry["at"], datetime.UTC).isoformat()
    name = " ".join(str(x) for x in (entry.get("type"), entry["event"].get("event")) if x)
    details = {
        "event": entry["event"],
        "removed": entry["removed"],
        "destinations": entry["destinations"],
        "plan": entry.get("plan"),
    }
    return [
        e(at),
        e(entry["source"]),
        e(name),
        e(entry.get("messageId")),
        _verdicts(entry),
        f"<details><summary>{view.text['details']}</summary><pre>{pretty(details)}</pre></details>",
    ]


def debugger(view: View, recent: dict[str, Any]) -> str:
    t = view.text
    if not recent["enabled"]:
        return layout(view, t["debugger"], f'<p role="note">{t["debugger_off"]}</p>')
    headers = [t["time"], t["source_label"], t["event"], t["message_id"], t["verdicts"], ""]
    rows = [_event_row(view, entry) for entry in recent["events"]]
    head = "".join(f'<th scope="col">{h}</th>' for h in headers)
    body = "".join(
        f'<tr data-message-id="{e(entry.get("messageId"))}">'
        + "".join(f"<td>{c}</td>" for c in row)
        + "</tr>"
        for entry, row in zip(recent["events"], rows, strict=True)
    )
    stream = view.url("/console/events/stream")
    html = (
        f'<p role="note">{t["live"]}</p>'
        f'<table id="events" data-stream="{e(stream)}" aria-live="polite">'
        f"<thead><tr>{head}</tr></thead>"
        f'<tbody id="events-body" data-details="{e(t["details"])}">{body}</tbody></table>'
    )
    return layout(view, t["debugger"], html, DEBUGGER_SCRIPT)


def preview(
    view: View,
    sources: list[str],
    chosen: str,
    text: str,
    recent: list[dict[str, Any]],
    result: dict[str, Any] | None,
    error: str | None,
) -> str:
    t = view.text
    source_options = "".join(
        f'<option value="{e(s)}"{" selected" if s == chosen else ""}>{e(s)}</option>'
        for s in sources
    )
    recent_options = f'<option value="">{t["none"]}</option>' + "".join(
        f'<option value="{e(r.get("messageId"))}">{e(r.get("messageId"))} '
        f"{e(r['event'].get('event') or r.get('type'))}</option>"
        for r in recent
    )
    form = (
        f'<form method="post" action="{e(view.url("/console/preview"))}">{view.csrf_field()}'
        f'<label for="source">{t["source_label"]}</label>'
        f'<select id="source" name="source">{source_options}</select>'
        f'<label for="recent">{t["pick_recent"]}</label>'
        f'<select id="recent" name="recent">{recent_options}</select>'
        f'<label for="event">{t["event_label"]}</label>'
        f'<textarea id="event" name="event" spellcheck="false">{e(text)}</textarea>'
        f'<p><button type="submit">{t["explain"]}</button></p></form>'
    )
    out = form
    if error:
        out = f'<div class="problems" role="alert">{e(error)}</div>' + out
    if result is not None:
        out += _trace(view, result)
    return layout(view, t["preview"], out)


def _trace(view: View, result: dict[str, Any]) -> str:
    t = view.text
    parts = ['<section aria-labelledby="trace-title"><h2 id="trace-title">Trace</h2>']
    for trace in result["events"]:
        parts.append(f"<h3>{e(trace.get('type'))} {e(trace.get('messageId'))}</h3>")
        if trace.get("dropped"):
            parts.append(f'<p role="status">{e(trace["dropped"])}</p>')
        removed = [[e(r["path"]), e(r["category"]), e(r["rule"])] for r in trace["removed"]]
        parts.append(table([t["path"], t["category"], t["rule"]], removed, t["removed"]))
        purposes = [
            [
                e(name),
                t["granted"] if d["granted"] else t["denied"],
                e(d["signal"]),
                e(d.get("detail") or ""),
            ]
            for name, d in trace["purposes"].items()
        ]
        parts.append(table([t["purpose"], t["decision"], t["signal"], ""], purposes, t["purposes"]))
        verdicts = [
            [
                e(v["destination"]),
                t["send"] if v["send"] else t["skip"],
                e(v["code"]),
                e(v["reason"]),
                f"<pre>{pretty(v['payload'])}</pre>" if "payload" in v else "",
            ]
            for v in trace["destinations"]
        ]
        headers = [t["destinations"], t["verdict"], "code", t["reason"], t["payload"]]
        parts.append(table(headers, verdicts, t["verdicts"]))
    return "".join(parts) + "</section>"


def dead_letters(view: View, rows: list[dict[str, Any]], notice: str, can_act: bool) -> str:
    t = view.text
    out = f'<p class="ok" role="status">{e(notice)}</p>' if notice else ""
    if not rows:
        return layout(view, t["dead_letters"], out + f"<p>{t['no_dead_letters']}</p>")
    body = []
    for row in rows:
        actions = ""
        if can_act:
            for action, css in (("replay", ""), ("drop", ' class="danger"')):
                url = view.url(f"/console/deadletters/{action}")
                label = f"{t[action]} {row['messageId']}"
                actions += (
                    f'<form class="inline" method="post" action="{e(url)}">{view.csrf_field()}'
                    f'<input type="hidden" name="id" value="{e(row["id"])}">'
                    f'<button type="submit"{css} aria-label="{e(label)}">{t[action]}</button>'
                    "</form> "
                )
        body.append(
            [
                e(row["destination"]),
                e(row["reason"]),
                e(row["age_seconds"]),
                e(row["messageId"]),
                e(row["detail"]),
                actions,
            ]
        )
    headers = [t["destinations"], t["reason"], t["age"], t["message_id"], t["details"], ""]
    return layout(view, t["dead_letters"], out + table(headers, body))


def test_result(view: View, result: dict[str, Any]) -> str:
    t = view.text
    verdict = t["sent"] if result.get("sent") else t["not_sent"]
    status = result.get("status", "—")
    body = (
        f'<p role="status" id="test-result">{verdict} — {e(result["destination"])}'
        f" · HTTP {e(status)}</p>"
        f"<p>messageId: <code>{e(result['messageId'])}</code></p>"
    )
    if result.get("error"):
        body += f'<p class="problems">{e(result["error"])}</p>'
    if "answer" in result:
        body += f"<h2>{t['answer']}</h2><pre>{e(result['answer'])}</pre>"
    body += f'<p><a href="{e(view.url("/console"))}">{t["overview"]}</a></p>'
    return layout(view, t["test_result"], body)


def plan_violations(view: View, found: dict[str, Any], seconds: int) -> str:
    t = view.text
    if not found["enabled"]:
        return layout(view, t["plan_violations"], f'<p role="note">{t["debugger_off"]}</p>')
    note = f'<p role="note">{t["plan_window"].format(seconds=seconds)}</p>'
    if not found["violations"]:
        return layout(view, t["plan_violations"], note + f"<p>{t['no_violations']}</p>")
    headers = [
        t["source_label"], t["plan"], t["planned_event"], t["events_count"],
        t["dropped_count"], t["findings"], t["last_seen"],
    ]  # fmt: skip
    rows = []
    for group in found["violations"]:
        findings = "\n".join(
            f"{f['code']} {f['path'] or '(event)'}: {f['action']} ×{f['count']}"
            for f in group["findings"]
        )
        at = datetime.datetime.fromtimestamp(group["last_at"], datetime.UTC).isoformat()
        rows.append(
            [
                e(group["source"]),
                e(group["plan"]),
                e(group["event"]),
                e(group["events"]),
                e(group["dropped"]),
                f'<span class="lines">{e(findings)}</span>',
                f"{e(at)}<br>{e(group['last_messageId'])}",
            ]
        )
    return layout(view, t["plan_violations"], note + table(headers, rows))
