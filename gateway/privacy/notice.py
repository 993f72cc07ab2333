"""The external-transmission notice (Telecommunications Business Act external transmission
rule; policy section "Use of services provided by third parties"), generated from the live
config: nothing here is typed by hand."""

from __future__ import annotations

from typing import Any

from gateway.config.loader import Config
from gateway.policy.datacategories import categories_of_patterns


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
