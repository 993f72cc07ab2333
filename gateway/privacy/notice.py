"""The external-transmission notice (Telecommunications Business Act external transmission
rule; policy section "Use of services provided by third parties"), generated from the live
config: nothing here is typed by hand. Its version is what a visitor's choice was made
against: when it changes, the visitor is asked again."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from gateway.config.loader import Config
from gateway.route.datacategories import categories_of_patterns

NOTICE_VERSION_PREFIX = "n1-"
_TRANSFORM_WORDS = {"sha256": "hashed", "truncate_ip": "truncated", "drop": "dropped"}


def notice_entries(config: Config) -> list[dict[str, Any]]:
    opt_out = config.policy.opt_out_url
    return [
        {
            "name": d.name,
            "description": d.description,
            "country": d.country,
            "purposes": list(d.purposes),
            "categories": list(categories_of_patterns(d.fields)),
            "events": {"types": list(d.events.types), "names": list(d.events.names)},
            "opt_out": opt_out,
            "role": d.role,
            "responsible_party": d.responsible_party,
            "recipient": d.recipient.model_dump() if d.recipient else None,
            "transforms": sorted(
                {_TRANSFORM_WORDS.get(str(t), "renamed") for t in d.transforms.values()}
            ),
        }
        for d in config.destinations
        if d.enabled
    ]


def notice_about(config: Config, lang: str) -> dict[str, Any]:
    """What the customer-facing pages say besides the recipients: the policy's purpose
    descriptions (instead of fixed labels), its privacy-policy link and its contact desk."""
    policy = config.policy
    descriptions = {
        name: (p.description_ja if lang == "ja" else p.description)
        for name, p in policy.purposes.items()
    }
    return {
        "descriptions": {k: v for k, v in descriptions.items() if v},
        "policy_url": policy.privacy_policy_url,
        "contact": policy.contact_desk_ja if lang == "ja" else policy.contact_desk,
    }


def notice_purposes(config: Config) -> list[str]:
    """Every purpose a visitor can be asked about: the policy's, and one per category a
    source may collect (allow_categories), in a stable order."""
    declared = list(config.policy.purposes)
    extra = sorted({c for s in config.sources for c in s.allow_categories} - set(declared))
    return declared + extra


def notice_content(config: Config) -> dict[str, Any]:
    """What a choice is made against (policy: advance notice and consent when purposes or
    third-party provision change): the purposes, and each third-party or joint-use recipient
    with its country and purposes. Processors (outsourcing) need no consent and are left out,
    as are descriptions, fields and the order of the YAML: editing them must not ask
    everyone again."""
    recipients = sorted(
        (
            {"name": d.name, "country": d.country, "purposes": sorted(d.purposes), "role": d.role}
            for d in config.destinations
            if d.enabled and d.role != "processor"
        ),
        key=lambda r: str(r["name"]),
    )
    return {"purposes": sorted(notice_purposes(config)), "recipients": recipients}


def notice_version(config: Config) -> str:
    """A stable digest of notice_content(): the same config gives the same version in every
    process and across restarts."""
    digest = hashlib.sha256(orjson.dumps(notice_content(config), option=orjson.OPT_SORT_KEYS))
    return NOTICE_VERSION_PREFIX + digest.hexdigest()[:16]
