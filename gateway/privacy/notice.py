"""The external-transmission notice (Telecommunications Business Act external transmission
rule; policy section "Use of services provided by third parties"), generated from the live
config: nothing here is typed by hand. Its version is what a visitor's choice was made
against: when it changes, the visitor is asked again."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from gateway.config.loader import Config
from gateway.policy.datacategories import categories_of_patterns

NOTICE_VERSION_PREFIX = "n1-"


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
        }
        for d in config.destinations
        if d.enabled
    ]


def notice_purposes(config: Config) -> list[str]:
    """Every purpose a visitor can be asked about: the policy's, and one per category a
    source may collect (allow_categories), in a stable order."""
    declared = list(config.policy.purposes)
    extra = sorted({c for s in config.sources for c in s.allow_categories} - set(declared))
    return declared + extra


def notice_content(config: Config) -> dict[str, Any]:
    """What a choice is made against (policy: advance notice and consent when purposes or
    third-party provision change): the purposes, and each recipient with its country and
    purposes. Destinations have no `role` yet, so every enabled one counts as a third party
    (fail closed). Descriptions, fields and the order of the YAML are left out: editing them
    must not ask everyone again."""
    recipients = sorted(
        (
            {"name": d.name, "country": d.country, "purposes": sorted(d.purposes)}
            for d in config.destinations
            if d.enabled
        ),
        key=lambda r: str(r["name"]),
    )
    return {"purposes": sorted(notice_purposes(config)), "recipients": recipients}


def notice_version(config: Config) -> str:
    """A stable digest of notice_content(): the same config gives the same version in every
    process and across restarts."""
    digest = hashlib.sha256(orjson.dumps(notice_content(config), option=orjson.OPT_SORT_KEYS))
    return NOTICE_VERSION_PREFIX + digest.hexdigest()[:16]
