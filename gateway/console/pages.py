"""The console's server-rendered pages (Japanese and English). Every value is escaped;
scripts and styles carry the response's CSP nonce."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import Any

from gateway.console.texts import TEXT

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0}
header{background:#0b3d66;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;
align-items:center}
header a{color:#fff}header nav{display:flex;gap:1rem;flex-wrap:wrap}
main{max-width:72rem;margin:1rem auto;padding:0 1rem}
a{color:#0b4f8a}a:focus,button:focus,input:focus,textarea:focus,select:focus,summary:focus
{outline:3px solid #c25e00;outline-offset:2px}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #767676;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f6}
button{font:inherit;background:#0b4f8a;color:#fff;border:0;border-radius:4px;padding:.35rem .9rem;
cursor:pointer}button.danger{background:#a01818}
header button{background:#fff;color:#0b3d66}
label{display:block;font-weight:600;margin-top:.75rem}
textarea{width:100%;font:14px/1.4 ui-monospace,monospace;min-height:18rem}
input[type=text],input[type=password],select{font:inherit;min-width:20rem;max-width:100%}
.hint{color:#4a4a4a;font-size:.9rem;margin:.1rem 0}
.problems{border:2px solid #a01818;color:#7a1010;padding:.5rem 1rem;margin:1rem 0}
.ok{border:2px solid #17612b;color:#17612b;padding:.5rem 1rem;margin:1rem 0}
pre{background:#f4f6f8;padding:.5rem;overflow:auto;font-size:14px}
form.inline{display:inline}
#events td,.lines{white-space:pre-line}
fieldset{border:1px solid #767676;margin:.75rem 0;padding:.25rem .75rem .75rem}
legend{font-weight:600}label.choice{display:inline-block;font-weight:400;margin:.5rem 1rem 0 0}
textarea.short{min-height:0}
.field-error{color:#7a1010;border-left:4px solid #a01818;margin:.25rem 0;padding:.1rem .5rem;
list-style:none}
[aria-invalid=true]{border:2px solid #a01818}
"""


@dataclass(frozen=True)
class View:
    """What every page needs: language, nonce, the signed-in token's name and CSRF token."""

    lang: str
    nonce: str
    path: str
    who: str | None = None
    csrf: str = ""

    @property
    def text(self) -> dict[str, str]:
        return TEXT[self.lang]

    def url(self, path: str) -> str:
        joiner = "&" if "?" in path else "?"
        return f"{path}{joiner}lang={self.lang}"

    def csrf_field(self) -> str:
        return f'<input type="hidden" name="csrf" value="{escape(self.csrf)}">'


def e(value: Any) -> str:
    return escape(str(value))


def layout(view: View, title: str, body: str, script: str = "") -> str:
    t = view.text
    other = "en" if view.lang == "ja" else "ja"
    switch = (
        f'<a href="{e(view.path)}?lang={other}" hreflang="{other}" lang="{other}">'
        f"{t['language']}</a>"
    )
    nav = ""
    if view.who is not None:
        links = [
            ("/console", "overview"),
            ("/console/preview", "preview"),
            ("/console/debugger", "debugger"),
            ("/console/plans", "plan_violations"),
            ("/console/deadletters", "dead_letters"),
        ]
        items = "".join(f'<a href="{e(view.url(href))}">{t[key]}</a>' for href, key in links)
        nav = (
            f'<nav aria-label="{t["title"]}">{items}</nav>'
            f"<span>{t['signed_in_as']} {e(view.who)}</span>"
            f'<form class="inline" method="post" action="{e(view.url("/console/signout"))}">'
            f'{view.csrf_field()}<button type="submit">{t["sign_out"]}</button></form>'
        )
    js = f'<script nonce="{view.nonce}">{script}</script>' if script else ""
    return (
        f'<!doctype html><html lang="{view.lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)} · {t['title']}</title>"
        f'<style nonce="{view.nonce}">{STYLE}</style></head><body>'
        f"<header><strong>{t['title']}</strong>{nav}{switch}</header>"
        f"<main><h1>{e(title)}</h1>{body}</main>{js}</body></html>"
    )


def table(headers: list[str], rows: list[list[str]], caption: str = "") -> str:
    head = "".join(f'<th scope="col">{h}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def sign_in(view: View, failed: bool) -> str:
    t = view.text
    error = f'<p class="problems" role="alert">{t["bad_token"]}</p>' if failed else ""
    body = (
        f'{error}<form method="post" action="{e(view.url("/console/signin"))}">'
        f'<label for="token">{t["token"]}</label>'
        f'<p class="hint" id="token-hint">{t["token_hint"]}</p>'
        '<input type="password" id="token" name="token" autocomplete="off" required '
        'aria-describedby="token-hint" autofocus>'
        f' <button type="submit">{t["sign_in"]}</button></form>'
    )
    return layout(view, t["sign_in"], body)


def message(view: View, title: str, text: str, status_role: str = "alert") -> str:
    return layout(view, title, f'<p role="{status_role}">{e(text)}</p>')


def overview(view: View, sources: list[Any], listing: dict[str, Any], can_write: bool) -> str:
    t = view.text
    source_rows = [[e(s.id), e(s.kind), e(s.tracking_plan or "—")] for s in sources]
    rows = []
    for item in listing["destinations"]:
        config, status = item["config"], item["status"]
        name = str(config.get("name"))
        actions = f'<a href="{e(view.url("/console/destinations/" + name))}">{t["edit"]}</a>'
        if can_write:
            actions += " " + test_button(view, name)
        rows.append(
            [
                e(name),
                e(config.get("type")),
                e(config.get("country")),
                e(", ".join(map(str, config.get("purposes") or []))),
                e(config.get("role", "third_party")),
                e(status["queue_depth"]),
                e(status["oldest_age_seconds"]),
                e(status["dead_letters"]),
                e(status["delivered"]),
                e(status["failed"]),
                e(status["circuit"]),
                actions,
            ]
        )
    headers = [
        t["name"],
        t["type"],
        t["country"],
        t["purposes"],
        t["role"],
        t["queue"],
        t["oldest"],
        t["dead_letters"],
        t["delivered"],
        t["failed"],
        t["circuit"],
        "",
    ]
    add = (
        f'<p><a href="{e(view.url("/console/new"))}">{t["add_destination"]}</a></p>'
        if can_write
        else ""
    )
    body = (
        f"<h2>{t['sources']}</h2>"
        + table([t["name"], t["kind"], t["plan"]], source_rows)
        + f"<h2>{t['destinations']}</h2>"
        + table(headers, rows)
        + add
    )
    return layout(view, t["overview"], body)


def test_button(view: View, name: str) -> str:
    action = view.url(f"/console/destinations/{name}/test")
    return (
        f'<form class="inline" method="post" action="{e(action)}">{view.csrf_field()}'
        f'<button type="submit">{view.text["test"]}</button></form>'
    )


def pretty(value: Any) -> str:
    return e(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True))
