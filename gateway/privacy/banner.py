"""What the SDK's consent banner shows, decided by the gateway and not by page code: the
visitor's regime (from GeoIP and the policy's jurisdictions), the purposes with their
descriptions, the recipients from the external-transmission notice, and the notice version
a choice is made against. Pure: no I/O."""

from __future__ import annotations

from typing import Any

from gateway.config.loader import Config
from gateway.config.schema import Jurisdiction, PolicyFile, SourceConfig
from gateway.privacy.notice import notice_entries, notice_purposes, notice_version
from gateway.privacy.preferences import choosable_purposes
from gateway.privacy.texts import BANNER, CATEGORIES, COUNTRIES, PURPOSES


def jurisdiction_of(policy: PolicyFile, country: str | None) -> Jurisdiction | None:
    """The jurisdiction whose defaults apply to a visitor (as the consent resolver does): by
    GeoIP country, or the policy's `unknown_country` when GeoIP knows none."""
    if country is None:
        if policy.unknown_country == "home":
            return None
        return next((j for j in policy.jurisdictions if j.name == policy.unknown_country), None)
    return next((j for j in policy.jurisdictions if country in j.countries), None)


def opt_in_purposes(config: Config, country: str | None) -> list[str]:
    """Purposes nothing but an explicit grant gives this visitor: the jurisdiction's opt-in
    list, and any purpose whose default is `denied`."""
    policy = config.policy
    jurisdiction = jurisdiction_of(policy, country)
    needed = set(jurisdiction.opt_in if jurisdiction else ())
    for name in notice_purposes(config):
        purpose = policy.purposes.get(name)
        if purpose is None or purpose.default == "denied":
            needed.add(name)
    return [p for p in choosable_purposes(notice_purposes(config)) if p in needed]


def recipient_key(entry: dict[str, Any]) -> str:
    """A recipient as a choice knows it: a new name, country or purpose is a new recipient."""
    return f"{entry['name']}|{entry['country']}|{'+'.join(sorted(entry['purposes']))}"


def banner_settings(
    config: Config, source: SourceConfig, country: str | None, gpc: bool, lang: str
) -> dict[str, Any]:
    policy = config.policy
    opt_in = opt_in_purposes(config, country)
    jurisdiction = jurisdiction_of(policy, country)
    purposes = [
        {
            "name": name,
            "label": PURPOSES[lang].get(name, name),
            "description": _description(policy, name, lang, PURPOSES[lang].get(name, name)),
            "opt_in": name in opt_in,
        }
        for name in choosable_purposes(notice_purposes(config))
    ]
    recipients = [
        {
            "key": recipient_key(entry),
            "name": entry["name"],
            "country": COUNTRIES[lang].get(entry["country"], entry["country"]),
            "purposes": [PURPOSES[lang].get(p, p) for p in entry["purposes"]],
            "categories": [CATEGORIES[lang].get(c, c) for c in entry["categories"]],
        }
        for entry in notice_entries(config)
    ]
    theme = source.banner.theme.model_dump()
    return {
        "regime": "opt_in" if opt_in else "opt_out",
        "jurisdiction": jurisdiction.name if jurisdiction else None,
        "notice_version": notice_version(config),
        "lang": lang,
        "purposes": purposes,
        "recipients": recipients,
        "gpc": gpc,
        "links": {
            "preferences": f"/privacy/preferences?lang={lang}",
            "notice": f"/privacy/external-transmission?lang={lang}",
        },
        "texts": BANNER[lang],
        "theme": theme,
        "logo_url": source.banner.logo_url,
    }


def _description(policy: PolicyFile, name: str, lang: str, label: str) -> str:
    """The policy's description of a purpose, unless it only repeats the label."""
    purpose = policy.purposes.get(name)
    if purpose is None:
        return ""
    text = (purpose.description_ja if lang == "ja" else purpose.description) or ""
    return "" if text == label else text
