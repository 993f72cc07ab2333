"""Server-rendered pages: the preference center and the external-transmission notice.
Works without JavaScript (a plain form POST); a few lines of script save in place."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from html import escape
from typing import Any

from gateway.privacy.texts import CATEGORIES, COUNTRIES, PURPOSES, TEXT

STYLE = """
body{font:16px/1.6 system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;
color:#1a1a1a;background:#fff;margin:0}
main{max-width:44rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem}fieldset{border:1px solid #767676;border-radius:6px;margin:0 0 1rem;
padding:.75rem 1rem}legend{font-weight:600;padding:0 .25rem}
.choice label{margin-right:1.25rem}input[type=radio]{width:1.1rem;height:1.1rem;
vertical-align:-.15rem;margin-right:.35rem}.hint{color:#4a4a4a;font-size:.9rem;margin:.25rem 0 0}
.buttons{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0}
button{font:inherit;padding:.6rem 1.1rem;border-radius:6px;border:2px solid #0b4f8a;
background:#fff;color:#0b4f8a;cursor:pointer}button.primary{background:#0b4f8a;color:#fff}
:focus-visible{outline:3px solid #b35900;outline-offset:2px}
#status{min-height:1.6rem;font-weight:600;color:#1e5e20}.new{color:#8a1c1c}
.review{border-left:4px solid #8a1c1c;padding:.25rem .75rem}.warning{color:#8a1c1c}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #767676;padding:.4rem;
text-align:left;vertical-align:top}a{color:#0b4f8a}
"""

SCRIPT = """
const form=document.getElementById('prefs');
if(form){form.addEventListener('submit',async(e)=>{
const all=e.submitter&&e.submitter.name==='all'?e.submitter.value:null;
e.preventDefault();const d=new FormData(form);const body={purposes:{},vendors:{}};
for(const [k,v] of d){const on=all?all==='allow':v==='on';
if(k.startsWith('purpose.'))body.purposes[k.slice(8)]=on;
else if(k.startsWith('vendor.'))body.vendors[k.slice(7)]=on;
else if(k==='advertising_id')body.advertising_id=on;}
const r=await fetch('/v1/consent',{method:'PUT',credentials:'same-origin',
headers:{'content-type':'application/json','x-csrf-token':d.get('csrf_token')},
body:JSON.stringify(body)});const s=document.getElementById('status');
const next=r.headers.get('x-csrf-token');if(next)form.elements.csrf_token.value=next;
if(r.ok){const state=await r.json();
for(const [p,on] of Object.entries(state.purposes))check('purpose.'+p,on);
for(const [p,by] of Object.entries(state.decided_by)){
const el=form.querySelector(`[data-decided="${p}"]`);if(el)el.textContent=by;}
for(const [v,on] of Object.entries(state.vendors))check('vendor.'+v,on);
check('advertising_id',state.advertising_id);s.textContent=form.dataset.saved;}
else{s.textContent=(await r.json()).error||r.statusText;}});}
function check(name,on){
const el=form.querySelector(`input[name="${name}"][value="${on?'on':'off'}"]`);
if(el)el.checked=true;}
"""


def csp(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def html_page(lang: str, title: str, body: str, nonce: str) -> str:
    """A page in the customer-facing style, without script (the disclosure)."""
    return _page(lang, title, body, nonce)


def _page(lang: str, title: str, body: str, nonce: str, script: bool = False) -> str:
    js = f'<script nonce="{nonce}">{SCRIPT}</script>' if script else ""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><style nonce="{nonce}">{STYLE}</style></head>'
        f"<body><main>{body}</main>{js}</body></html>"
    )


def _switch(lang: str, path: str) -> str:
    other = "en" if lang == "ja" else "ja"
    label = TEXT[lang]["language"]
    return f'<p><a href="{path}?lang={other}" hreflang="{other}" lang="{other}">{label}</a></p>'


def _radio_pair(name: str, legend: str, on: bool, lang: str, hint: str = "") -> str:
    text = TEXT[lang]
    ident = escape(name.replace(".", "-"))
    radios = "".join(
        f'<input type="radio" id="{ident}-{value}" name="{escape(name)}" value="{value}"'
        f"{' checked' if (value == 'on') == on else ''}>"
        f'<label for="{ident}-{value}">{text[value]}</label>'
        for value in ("on", "off")
    )
    hint_html = f'<p class="hint">{hint}</p>' if hint else ""
    return f'<fieldset class="choice"><legend>{legend}</legend>{radios}{hint_html}</fieldset>'


def preference_page(
    lang: str,
    state: Mapping[str, Any] | None,
    csrf: str | None,
    nonce: str,
    message: str = "",
    warning: bool = False,
    about: Mapping[str, Any] | None = None,
) -> str:
    text = TEXT[lang]
    head = f"{_switch(lang, '/privacy/preferences')}<h1>{text['title']}</h1><p>{text['intro']}</p>"
    status_class = ' class="warning"' if warning else ""
    status = f'<div id="status" role="status" aria-live="polite"{status_class}>{message}</div>'
    notice = f'<p><a href="/privacy/external-transmission?lang={lang}">{text["notice"]}</a></p>'
    footer = _footer(lang, about or {})
    if state is None or csrf is None:
        body = f"{head}{status}<p>{text['no_subject']}</p>{notice}{footer}"
        return _page(lang, text["title"], body, nonce)
    review = (
        f'<p class="review" role="note">{text["review"]}</p>'
        if state.get("review_required")
        else ""
    )
    body = head + review + status + _form(lang, state, csrf, about or {}) + notice + footer
    return _page(lang, text["title"], body, nonce, script=True)


def _footer(lang: str, about: Mapping[str, Any]) -> str:
    """The children's rule, the company's policy and its contact desk."""
    text = TEXT[lang]
    parts = [f'<p class="hint" data-children>{text["children"]}</p>']
    if about.get("policy_url"):
        parts.append(f'<p><a href="{escape(about["policy_url"])}">{text["company_policy"]}</a></p>')
    if about.get("contact"):
        parts.append(f"<p>{text['contact']}: {escape(about['contact'])}</p>")
    return "<footer>" + "".join(parts) + "</footer>"


def _who(lang: str, who: Mapping[str, Any]) -> str:
    """A recipient's role and country, as the notice states them."""
    if not who:
        return ""
    country = COUNTRIES[lang].get(who.get("country", ""), who.get("country", ""))
    return f"{TEXT[lang]['role_' + who.get('role', 'third_party')]} · {escape(country)}"


def _new(lang: str, is_new: bool) -> str:
    return f' <strong class="new">{TEXT[lang]["new"]}</strong>' if is_new else ""


def unavailable_page(lang: str, nonce: str) -> str:
    """The store cannot be reached: nothing can be shown or saved (no guess at the state)."""
    text = TEXT[lang]
    status = f'<div id="status" role="status" class="warning">{text["unavailable"]}</div>'
    return _page(lang, text["title"], f"<h1>{text['title']}</h1>{status}", nonce)


def _form(lang: str, state: Mapping[str, Any], csrf: str, about: Mapping[str, Any]) -> str:
    text = TEXT[lang]
    new = state.get("new") or {"purposes": [], "recipients": []}
    descriptions = about.get("descriptions", {})
    parts = [
        f'<form id="prefs" method="post" action="/privacy/preferences" '
        f'data-saved="{escape(text["saved"])}">',
        f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">',
        f'<input type="hidden" name="lang" value="{lang}">',
    ]
    if state.get("gpc"):
        parts.append(f'<p class="hint">{text["gpc"]}</p>')
    if state.get("suspended", {}).get("use"):
        parts.append(f'<p class="warning">{text["suspended"]}</p>')
    parts.append(f'<fieldset><legend>{text["purposes"]}</legend><p class="hint">'
                 f'{text["service_note"]}</p>')  # fmt: skip
    for purpose, granted in state["purposes"].items():
        label = escape(PURPOSES[lang].get(purpose, purpose)) + _new(
            lang, purpose in new["purposes"]
        )
        decided = escape(str(state["decided_by"].get(purpose, "")))
        hint = f'{text["decided_by"]}: <span data-decided="{escape(purpose)}">{decided}</span>'
        if descriptions.get(purpose):
            hint = f"{escape(descriptions[purpose])}<br>{hint}"
        parts.append(_radio_pair(f"purpose.{purpose}", label, granted, lang, hint))
    parts.append("</fieldset>")
    parts.append(
        _radio_pair(
            "advertising_id", text["adid"], state["advertising_id"], lang, text["adid_help"]
        )
    )
    if state["vendors"]:
        parts.append(f'<fieldset><legend>{text["vendors"]}</legend>'
                     f'<p class="hint">{text["vendors_help"]}</p>')  # fmt: skip
        recipients = state.get("recipients", {})
        for vendor, allowed in state["vendors"].items():
            who = recipients.get(vendor, {})
            is_new = vendor in new["recipients"]
            label = escape(who.get("name", vendor)) + _new(lang, is_new)
            hint = _who(lang, who)
            # A new recipient gets nothing until the person chooses: no pre-ticked "Allow".
            on = allowed and not is_new
            parts.append(_radio_pair(f"vendor.{vendor}", label, on, lang, hint))
        parts.append("</fieldset>")
    # The first submit button is the form's default (Enter in a field): Save, not Allow all.
    parts.append(
        '<div class="buttons">'
        f'<button type="submit" class="primary">{text["save"]}</button>'
        f'<button type="submit" name="all" value="allow">{text["allow_all"]}</button>'
        f'<button type="submit" name="all" value="refuse">{text["refuse_all"]}</button></div>'
        "</form>"
    )
    return "".join(parts)


def notice_page(
    lang: str,
    entries: list[dict[str, Any]],
    nonce: str,
    about: Mapping[str, Any] | None = None,
) -> str:
    text = TEXT[lang]
    about = about or {}
    rows = "".join(_notice_row(lang, entry, about.get("descriptions", {})) for entry in entries)
    heads = ("name", "role", "country", "purposes", "categories", "transforms")
    header = "".join(f'<th scope="col">{text[h]}</th>' for h in heads)
    body = (
        f"{_switch(lang, '/privacy/external-transmission')}<h1>{text['notice_title']}</h1>"
        f"<p>{text['notice_intro']}</p><table><thead><tr>{header}</tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f'<p><a href="/privacy/preferences?lang={lang}">{text["opt_out"]}</a></p>'
        f"{_footer(lang, about)}"
    )
    return _page(lang, text["notice_title"], body, nonce)


RECIPIENT_LINKS = (("privacy_policy_url", "recipient_policy"), ("opt_out_url", "recipient_opt_out"))


def _notice_row(lang: str, entry: dict[str, Any], descriptions: Mapping[str, str]) -> str:
    text = TEXT[lang]
    country = COUNTRIES[lang].get(entry["country"], entry["country"])
    purposes = "<br>".join(
        escape(descriptions.get(p) or PURPOSES[lang].get(p, p)) for p in entry["purposes"]
    )
    categories = "<br>".join(escape(CATEGORIES[lang].get(c, c)) for c in entry["categories"])
    recipient = entry.get("recipient") or {}
    name = escape(recipient.get("name") or entry["name"])
    description = (
        f"<br><small>{escape(entry['description'])}</small>" if entry["description"] else ""
    )
    links = "".join(
        f'<br><a href="{escape(recipient[key])}">{text[label]}</a>'
        for key, label in RECIPIENT_LINKS
        if recipient.get(key)
    )
    contact = (
        f"<br><small>{escape(recipient['contact'])}</small>" if recipient.get("contact") else ""
    )
    role = text[f"role_{entry.get('role', 'third_party')}"]
    if entry.get("responsible_party"):
        role += f"<br><small>{text['responsible']}: {escape(entry['responsible_party'])}</small>"
    transforms = "<br>".join(text[f"transform_{t}"] for t in entry.get("transforms", []))
    return (
        f'<tr data-recipient="{escape(entry["name"])}"><th scope="row">{name}{description}'
        f"{contact}{links}</th><td>{role}</td><td>{escape(country)}</td><td>{purposes}</td>"
        f"<td>{categories}</td><td>{transforms}</td></tr>"
    )
