"""A disclosure as the customer it is for can read it (APPI art. 33, including the records
of provision to third parties): Japanese or English HTML, times in ISO 8601, recipients by
name and role, purposes and categories in words, the basis of each decision. The JSON
document (PrivacyService.disclosure) is the same content for machines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from html import escape
from typing import Any

from gateway.privacy.page import html_page
from gateway.privacy.texts import CATEGORIES, COUNTRIES, PURPOSES, TEXT

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your information held by the gateway",
        "generated": "Prepared at",
        "choices": "Your choices",
        "log": "Changes to your choices",
        "records": "Information provided to outside services",
        "held": "Information waiting to be sent",
        "when": "Time",
        "recipient": "Recipient",
        "source": "Made through",
        "basis": "On what basis",
        "state": "State",
        "pending": "waiting to be sent",
        "dead_lettered": "sending failed; kept until an operator decides",
        "none": "None.",
        "allowed": "allowed",
        "refused": "refused",
        "suspended_use": "use suspended",
        "suspended_provision": "provision to outside services suspended",
        "advertising_id": "advertising identifier",
        "notice": "Notice version",
    },
    "ja": {
        "title": "ゲートウェイが保有するお客様の情報",
        "generated": "作成日時",
        "choices": "お客様の設定",
        "log": "設定の変更履歴",
        "records": "外部サービスへの提供記録",
        "held": "送信待ちの情報",
        "when": "日時",
        "recipient": "提供先",
        "source": "変更の方法",
        "basis": "判断の根拠",
        "state": "状態",
        "pending": "送信待ち",
        "dead_lettered": "送信失敗（担当者の判断まで保管）",
        "none": "ありません。",
        "allowed": "許可",
        "refused": "拒否",
        "suspended_use": "利用停止中",
        "suspended_provision": "外部提供停止中",
        "advertising_id": "広告識別子",
        "notice": "通知の版",
    },
}
BASIS_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "explicit_choice": "your choice", "cmp": "your choice on the consent banner",
        "tcf": "your choice (IAB TCF)", "consent_mode": "your choice (Consent Mode)",
        "gpc": "your browser's Global Privacy Control", "dnt": "your browser's Do Not Track",
        "device_tracking_setting": "your device's tracking setting", "child": "child protection",
        "suspension": "your request to suspend use",
        "jurisdiction_default": "the rule of your country (no choice made)",
        "purpose_default": "our default (no choice made; you can refuse)",
    },
    "ja": {
        "explicit_choice": "お客様の選択", "cmp": "同意バナーでのお客様の選択",
        "tcf": "お客様の選択（IAB TCF）", "consent_mode": "お客様の選択（Consent Mode）",
        "gpc": "ブラウザのGlobal Privacy Control", "dnt": "ブラウザのDo Not Track",
        "device_tracking_setting": "端末のトラッキング設定", "child": "お子さまの保護",
        "suspension": "利用停止のご請求",
        "jurisdiction_default": "お住まいの国の規則（選択なし）",
        "purpose_default": "当社の初期設定（選択なし・拒否できます）",
    },
}  # fmt: skip


def iso(at: float | None) -> str:
    if at is None:
        return ""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def disclosure_page(lang: str, document: Mapping[str, Any], nonce: str) -> str:
    words = WORDS[lang]
    recipients = document.get("recipients", {})
    sections = [
        f"<h1>{words['title']}</h1>",
        f"<p>{words['generated']}: <time>{iso(document.get('generated_at'))}</time></p>",
        f"<h2>{words['choices']}</h2>{_choices(lang, document.get('preferences', {}))}",
        f"<h2>{words['log']}</h2>{_log(lang, document.get('consent_log', []))}",
        f"<h2>{words['records']}</h2>"
        + _records(lang, document.get("provision_records", []), recipients),
        f"<h2>{words['held']}</h2>"
        + _held(
            lang, [*document.get("pending", []), *document.get("dead_lettered", [])], recipients
        ),
    ]
    return html_page(lang, words["title"], "".join(sections), nonce)


def _table(heads: Iterable[str], rows: list[list[str]], lang: str) -> str:
    if not rows:
        return f"<p>{WORDS[lang]['none']}</p>"
    head = "".join(f'<th scope="col">{h}</th>' for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _choices(lang: str, preferences: Mapping[str, Any]) -> str:
    words = WORDS[lang]
    lines: list[str] = []
    for state in preferences.values():
        for purpose, on in (state.get("purposes") or {}).items():
            lines.append(f"{_purpose(lang, purpose)}: {words['allowed' if on else 'refused']}")
        for vendor, on in (state.get("vendors") or {}).items():
            lines.append(f"{escape(vendor)}: {words['allowed' if on else 'refused']}")
        if "advertising_id" in state:
            on = state["advertising_id"]
            lines.append(f"{words['advertising_id']}: {words['allowed' if on else 'refused']}")
        lines += [words[flag.replace("suspend", "suspended")] for flag in
                  ("suspend_use", "suspend_provision") if state.get(flag)]  # fmt: skip
    unique = list(dict.fromkeys(lines))
    return (
        "<ul>" + "".join(f"<li>{line}</li>" for line in unique) + "</ul>"
        if unique
        else (f"<p>{words['none']}</p>")
    )


def _log(lang: str, entries: list[Mapping[str, Any]]) -> str:
    words = WORDS[lang]
    rows = [
        [f"<time>{iso(e.get('at'))}</time>", escape(str(e.get("source", ""))),
         _choices(lang, {"": e.get("after", {})}), _basis(lang, e.get("basis", {})),
         escape(str(e.get("notice_version", "")))]
        for e in entries
    ]  # fmt: skip
    heads = (
        words["when"],
        words["source"],
        TEXT[lang]["purposes"],
        words["basis"],
        words["notice"],
    )
    return _table(heads, rows, lang)


def _records(lang: str, records: list[Mapping[str, Any]], recipients: Mapping[str, Any]) -> str:
    words, text = WORDS[lang], TEXT[lang]
    rows = [
        [f"<time>{iso(r.get('delivered_at'))}</time>", _recipient(lang, r, recipients),
         "<br>".join(_purpose(lang, p) for p in r.get("purposes", [])),
         "<br>".join(escape(CATEGORIES[lang].get(c, c)) for c in r.get("categories", [])),
         _basis(lang, {p: b for p, b in r.get("basis", {}).items() if p in r.get("purposes", [])})]
        for r in records
    ]  # fmt: skip
    heads = (
        words["when"],
        words["recipient"],
        text["purposes"],
        text["categories"],
        words["basis"],
    )
    return _table(heads, rows, lang)


def _held(lang: str, items: list[Mapping[str, Any]], recipients: Mapping[str, Any]) -> str:
    words, text = WORDS[lang], TEXT[lang]
    rows = [
        [f"<time>{iso(i.get('queued_at'))}</time>", _recipient(lang, i, recipients),
         "<br>".join(escape(CATEGORIES[lang].get(c, c)) for c in i.get("categories", [])),
         words.get(str(i.get("state")), "")]
        for i in items
    ]  # fmt: skip
    return _table(
        (words["when"], words["recipient"], text["categories"], words["state"]), rows, lang
    )


def _recipient(lang: str, row: Mapping[str, Any], recipients: Mapping[str, Any]) -> str:
    who = recipients.get(str(row.get("destination", "")), {})
    name = escape(str(who.get("name") or row.get("destination", "")))
    role = TEXT[lang].get(f"role_{who.get('role', 'third_party')}", "")
    country = row.get("country") or who.get("country", "")
    return f"{name}<br><small>{role} · {escape(COUNTRIES[lang].get(country, country))}</small>"


def _purpose(lang: str, purpose: str) -> str:
    return escape(PURPOSES[lang].get(purpose, purpose))


def _basis(lang: str, basis: Mapping[str, str]) -> str:
    if not basis:
        return "—"
    return "<br>".join(
        f"{_purpose(lang, p)}: {escape(BASIS_WORDS[lang].get(b, b))}" for p, b in basis.items()
    )
