"""Departures from the company policy that a config may make on purpose, but never silently:
`gateway check` prints each as a warning, and `gateway check --strict` fails on them.

The reference is the policy the built-in defaults mirror (docs/policy.md): the four forbidden
categories of "Information to obtain", the transfer countries the policy lists, purposes that
are granted by default only where the opt-out model already covers them, and delivery over
encrypted connections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx

from gateway.config.addresses import address_problem
from gateway.config.schema import PolicyFile

if TYPE_CHECKING:
    from gateway.config.loader import Config

POLICY = PolicyFile()
OPT_OUT_PURPOSES = frozenset(POLICY.purposes)
"""The purposes the policy's "Purpose of use" (1)–(3) names; a new one is granted by default
only after the advance notice and consent the policy promises ("Changes to this document")."""


def departures(config: Config) -> list[str]:
    return [*_policy(config), *_destinations(config)]


def _policy(config: Config) -> Iterator[str]:
    policy = config.policy
    where = config.origin_files.get("policy", "policy.yaml") + ": policy"
    narrowed = sorted(set(POLICY.forbidden_categories) - set(policy.forbidden_categories))
    if narrowed:
        yield f"{where}: forbidden_categories no longer lists {', '.join(narrowed)}"
    listed = set(POLICY.transfers.allowed_countries)
    beyond = sorted(set(policy.transfers.allowed_countries) - listed)
    if beyond:
        yield (
            f"{where}: transfers.allowed_countries adds {', '.join(beyond)}, beyond the "
            f"countries the policy lists ({', '.join(POLICY.transfers.allowed_countries)})"
        )
    if policy.transfers.home_country != POLICY.transfers.home_country:
        yield f'{where}: transfers.home_country is "{policy.transfers.home_country}", not JP'
    for name, purpose in policy.purposes.items():
        if name not in OPT_OUT_PURPOSES and purpose.default == "granted":
            yield f'{where}: purpose "{name}" is new and granted by default (no one agreed to it)'
    if policy.third_party_basis == "opt_out":
        yield (
            f"{where}: third_party_basis is opt_out: third parties receive data without prior "
            "consent (only lawful with an opt-out procedure registered with the PPC)"
        )
    if not policy.att_denies_advertising:
        yield f"{where}: att_denies_advertising is false: ATT refusals only remove the ad ID"


def _destinations(config: Config) -> Iterator[str]:
    where = config.origin_files.get("destinations", "destinations.yaml")
    for destination in config.destinations:
        url = destination.endpoint()
        if url is None or not destination.allow_insecure_http:
            continue
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            continue
        if parsed.scheme == "http" and parsed.host and not address_problem(parsed.host):
            yield (
                f'{where}: destination "{destination.name}": plain http to the public host '
                f'"{parsed.host}" (allow_insecure_http)'
            )
