"""Data-subject requests (APPI arts. 33-35) by name: what the admin API and `gateway dsar`
both dispatch through."""

from __future__ import annotations

from typing import Any

from gateway.privacy.preferences import parse_update
from gateway.privacy.service import PrivacyService

ACTIONS = (
    "disclosure", "correction", "deletion",
    "suspend-use", "resume-use", "suspend-provision", "resume-provision",
)  # fmt: skip


async def run_request(
    service: PrivacyService, action: str, identifier: str, body: dict[str, Any]
) -> dict[str, Any]:
    if action == "disclosure":
        return await service.disclosure(identifier)
    if action == "correction":
        update = parse_update(body.get("preferences", {}), service.purposes, service.vendors)
        return await service.correction(identifier, update)
    if action == "deletion":
        return await service.deletion(identifier)
    verb, _, kind = action.partition("-")
    return await service.suspend(identifier, kind, verb == "suspend")
