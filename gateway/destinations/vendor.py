"""What the vendor adapters (ga4, meta_capi, segment) share: config checks run as field
validators, so one pass reports them beside every other problem, and value parsing."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import Field, ValidationInfo, field_validator

from gateway.config.patterns import pattern_problem
from gateway.config.schema import DestinationConfig
from gateway.destinations.webhook import check_http_url
from gateway.route.projection import Projection


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


class VendorConfig(DestinationConfig):
    """Keys and checks every vendor adapter shares: an https `url`, a credential from the
    environment variable `secret_env` names (required), and the fields its format needs."""

    KIND: ClassVar[str] = "vendor"
    CREDENTIAL: ClassVar[str] = "the credential"
    NEEDS: ClassVar[tuple[tuple[str, ...], ...]] = (("type",),)

    url: str
    secret_env: str | None = Field(None, validate_default=True)

    @field_validator("secret_env")
    @classmethod
    def _secret_env(cls, value: str | None) -> str | None:
        return require_secret(value, cls.CREDENTIAL)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        return vendor_url(value, info)

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: list[str]) -> list[str]:
        return require_fields(value, cls.NEEDS, cls.KIND)

    def endpoint(self) -> str | None:
        return self.url
