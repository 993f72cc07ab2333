"""Pydantic models of the configuration files. Unknown keys are errors everywhere."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

PurposeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- gateway.yaml
class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    public_url: str | None = Field(None, pattern=r"^https?://[^/?#\s]+/?$")
    """The gateway's address as clients reach it (`https://collect.example.com`): what the
    settings document names as the API host. Never taken from a request's Host header."""
    max_header_bytes: int = Field(32 * 1024, ge=1024, le=1024 * 1024)
    max_header_fields: int = Field(100, ge=8, le=10_000)
    header_timeout_seconds: float = Field(10.0, gt=0, le=300)
    """A request's head (request line and header fields) must arrive within this time, and
    a new connection must start one within it."""


class SqliteStorage(Strict):
    backend: Literal["sqlite"] = "sqlite"
    path: str = "data/gateway.db"


class RedisStorage(Strict):
    backend: Literal["redis"]
    url: str = Field(pattern=r"^(redis|rediss|unix)://")
    cluster: bool = False
    key_prefix: str = Field("cg", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    claim_idle_seconds: float = Field(60.0, gt=0)

    def database(self) -> str:
        """The database number the URL selects ("0" when it names none)."""
        return urlsplit(self.url).path.strip("/") or "0"


Storage = Annotated[SqliteStorage | RedisStorage, Field(discriminator="backend")]


class GeoConfig(Strict):
    database: str | None = None


class LimitsConfig(Strict):
    max_event_bytes: int = Field(32 * 1024, ge=1024, le=16 * 1024 * 1024)
    max_batch_bytes: int = Field(500 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_depth: int = Field(32, ge=4, le=128)
    max_batch_events: int = Field(2000, ge=1, le=100_000)


class TrustedProxies(Strict):
    networks: list[str] = []
    header: str = "x-forwarded-for"

    @field_validator("networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f'"{item}" is not an IP network (use CIDR, e.g. 10.0.0.0/8)'
                ) from None
        return value

    @field_validator("header")
    @classmethod
    def _header(cls, value: str) -> str:
        return value.lower()


AdminScope = Literal[
    "explain", "dsar:read", "dsar:write", "deadletter", "ledger:read", "reload", "metrics"
]


class AdminToken(Strict):
    name: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[AdminScope] = Field(min_length=1)


class AdminConfig(Strict):
    tokens: list[AdminToken] = []
    protect_metrics: bool = False
    """GET /metrics then needs a token with the `metrics` scope (Authorization: Bearer, as
    Prometheus' `authorization` scrape option sends it)."""


class SecretsConfig(Strict):
    key_env: str | None = None
    """Environment variable holding the gateway key (subject keys, subject tokens).
    When absent, the SQLite backend keeps a generated key next to its database."""


class DeliveryConfig(Strict):
    max_attempts: int = Field(8, ge=1, le=100)
    max_age_seconds: float = Field(4 * 3600, gt=0)
    timeout_seconds: float = Field(10.0, gt=0, le=300)
    concurrency: int = Field(8, ge=1, le=256)
    backoff_base_seconds: float = Field(1.0, gt=0)
    backoff_max_seconds: float = Field(900.0, gt=0)
    breaker_failures: int = Field(5, ge=1)
    breaker_cooldown_seconds: float = Field(30.0, gt=0)
    poll_interval_seconds: float = Field(0.2, gt=0, le=60)


class RetentionConfig(Strict):
    ledger_days: int = Field(1095, ge=1)
    consent_log_days: int = Field(1095, ge=1)
    dead_letter_days: int = Field(30, ge=1)


class RateLimit(Strict):
    rate: float = Field(gt=0, description="tokens per second")
    burst: int = Field(ge=1)


class RateLimitsConfig(Strict):
    """Token buckets, shared by every node on Redis; `null` turns one off. The ingest limits
    are off by default (a server-side source sends thousands of events a second from one
    address); the ones guarding stored choices and secrets are on."""

    per_write_key: RateLimit | None = None
    """Ingest requests per source."""
    per_ip: RateLimit | None = None
    """Ingest requests per client address (IPv6: per /64), checked before the body is read."""
    events_per_source: RateLimit | None = None
    """Events per source, a batch counted by its events."""
    consent_writes_per_subject: RateLimit | None = RateLimit(rate=0.2, burst=20)
    consent_writes_per_ip: RateLimit | None = RateLimit(rate=2.0, burst=120)
    tokens_per_ip: RateLimit | None = RateLimit(rate=5.0, burst=300)
    """Subject tokens issued to new devices (the preference page, ingest responses)."""
    failed_auth_per_ip: RateLimit | None = RateLimit(rate=1.0, burst=100)
    """Unknown write keys, invalid subject tokens and unknown admin tokens."""


class DedupeConfig(Strict):
    window_seconds: int = Field(24 * 3600, ge=0)


class WorkerConfig(Strict):
    in_process: bool = True


class DemoConfig(Strict):
    enabled: bool = False
    """Serves /demo and /demo/feed (which shows what file destinations received)."""


class GatewayFile(Strict):
    server: ServerConfig = ServerConfig()
    storage: Storage = SqliteStorage()
    geo: GeoConfig = GeoConfig()
    limits: LimitsConfig = LimitsConfig()
    trusted_proxies: TrustedProxies = TrustedProxies()
    admin: AdminConfig = AdminConfig()
    secrets: SecretsConfig = SecretsConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    retention: RetentionConfig = RetentionConfig()
    rate_limits: RateLimitsConfig = RateLimitsConfig()
    dedupe: DedupeConfig = DedupeConfig()
    worker: WorkerConfig = WorkerConfig()
    demo: DemoConfig = DemoConfig()


# ---------------------------------------------------------------- sources.yaml
CssColor = Annotated[str, Field(pattern=r"^(#[0-9A-Fa-f]{3,8}|[a-z]{3,20})$")]
CssLength = Annotated[str, Field(pattern=r"^(0|[0-9]{1,3}(\.[0-9]{1,2})?(px|rem|em))$")]


class BannerTheme(Strict):
    """CSS custom properties of the SDK's consent banner (--cg-*). Plain values only: a
    theme cannot inject rules into the host page."""

    background: CssColor = "#ffffff"
    text: CssColor = "#1a1a1a"
    accent: CssColor = "#0b4f8a"
    accent_text: CssColor = "#ffffff"
    font: str = Field("system-ui, sans-serif", pattern=r"^[A-Za-z0-9 ,\"'-]{1,120}$")
    radius: CssLength = "8px"
    position: Literal["bottom", "top", "center"] = "bottom"


class BannerConfig(Strict):
    theme: BannerTheme = BannerTheme()
    logo_url: str | None = Field(None, pattern=r"^(https://[^\s\"'<>]+|/[^\s\"'<>]*)$")


class SourceConfig(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    write_key: str = Field(min_length=8, max_length=200)
    kind: Literal["web", "ios", "android", "server"]
    allowed_origins: list[str] = []
    allow_categories: list[str] = []
    banner: BannerConfig = BannerConfig()

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest:
                raise ValueError(
                    f'"{origin}" is not an origin (scheme://host[:port], no path or trailing slash)'
                )
        return value


# ----------------------------------------------------------- destinations.yaml
class EventFilter(Strict):
    types: list[str] = ["*"]
    names: list[str] = ["*"]


class Rename(Strict):
    rename: str = Field(pattern=r"^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")


TRANSFORM_NAMES = ("sha256", "truncate_ip", "drop")


def _transform(value: object) -> object:
    if isinstance(value, str) and value in TRANSFORM_NAMES:
        return value
    if isinstance(value, dict) and set(value) == {"rename"}:
        return Rename.model_validate(value)
    raise ValueError("must be sha256, truncate_ip, drop or {rename: new.dotted.path}")


Transform = Annotated[str | Rename, BeforeValidator(_transform)]


class DestinationConfig(Strict):
    """Keys every destination has; each adapter subclasses this with its own keys."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    type: str
    country: CountryCode
    purposes: list[PurposeName] = Field(min_length=1)
    events: EventFilter = EventFilter()
    fields: list[str] = Field(min_length=1)
    transforms: dict[str, Transform] = {}
    secret_env: str | None = None
    allow_private_network: bool = False
    tcf_vendor_id: int | None = Field(None, ge=1, le=65535)
    description: str = ""
    enabled: bool = True

    def endpoint(self) -> str | None:
        """The URL this destination connects to, if any (checked against private networks)."""
        return None


# ---------------------------------------------------------------- policy.yaml
class PurposeConfig(Strict):
    default: Literal["granted", "denied"] = "granted"
    description: str = ""
    description_ja: str = ""


class Jurisdiction(Strict):
    name: str
    countries: list[CountryCode] = Field(min_length=1)
    opt_in: list[PurposeName] = []
    """Purposes that need an explicit grant in these countries: no default grants them."""


class IpPolicy(Strict):
    ipv4_prefix: int | None = Field(24, ge=0, le=32)
    ipv6_prefix: int | None = Field(48, ge=0, le=128)


class Transfers(Strict):
    home_country: CountryCode = "JP"
    allowed_countries: list[CountryCode] = ["PH", "AU", "CA", "US", "KR", "TW"]


class TcfConfig(Strict):
    purposes: dict[PurposeName, list[int]] = {
        "analytics": [1, 8, 9, 10],
        "advertising": [1, 2, 3, 4, 7],
    }


class PolicyFile(Strict):
    version: str = "2026-04-01"
    purposes: dict[PurposeName, PurposeConfig] = {
        "service": PurposeConfig(default="granted"),
        "analytics": PurposeConfig(default="granted"),
        "advertising": PurposeConfig(default="granted"),
    }
    jurisdictions: list[Jurisdiction] = []
    unknown_country: str = "home"
    ip: IpPolicy = IpPolicy()
    transfers: Transfers = Transfers()
    forbidden_categories: list[Literal["location", "contacts", "message_content", "media"]] = [
        "location",
        "contacts",
        "message_content",
        "media",
    ]
    extra_key_names: dict[
        Literal["location", "contacts", "message_content", "media"], list[str]
    ] = {}
    sensitive_query_params: list[str] = []
    ad_identifier_fields: list[str] = ["context.device.advertisingId"]
    cmp_categories: dict[str, PurposeName] = {}
    honor_dnt: bool = False
    tcf: TcfConfig = TcfConfig()
    opt_out_url: str = "/privacy/preferences"
