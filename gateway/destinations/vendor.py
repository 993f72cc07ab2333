"""What the vendor adapters (ga4, meta_capi, segment) share: config checks run as field
validators, so one pass reports them beside every other problem, and value parsing."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import ValidationInfo

from gateway.destinations.webhook import check_http_url
from gateway.route.projection import Projection, pattern_problem


def require_secret(value: str | None, secret: str) -> str | None:
    if not value:
        raise ValueError(f"is required: the environment variable holding {secret}")
    return value


def vendor_url(value: str, info: ValidationInfo) -> str:
    """An http(s) URL, https unless the destination may reach private networks (tests)."""
    check_http_url(value)
    if httpx.URL(value).scheme != "https" and not info.data.get("allow_private_network"):
        raise ValueError("must be https (plain http only with allow_private_network)")
    return value


def require_fields(fields: list[str], needs: Iterable[tuple[str, ...]], kind: str) -> list[str]:
    """`fields` must allow at least one top-level field of each group in `needs`."""
    if any(pattern_problem(p) for p in fields):
        return fields  # reported by the config checks; the projection cannot be built
    projection = Projection(fields)
    missing = [
        " or ".join(group)
        for group in needs
        if not any(projection.allows([name]) for name in group)
    ]
    if missing:
        raise ValueError(
            f"must include {' and '.join(missing)} (required by the {kind} wire format)"
        )
    return fields


def number(value: Any) -> int | float | None:
    """A finite number, also from a numeric string (some SDKs send "12.50")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, float | str):
        return None
    try:
        parsed = float(value)
    except ValueError:
        return None
    return parsed if math.isfinite(parsed) else None


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
