"""Pydantic models of the configuration files. Unknown keys are errors everywhere."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from gateway.config.categories import FORBIDDEN

PurposeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


def _forbidden_category(name: str) -> str:
    if name not in FORBIDDEN:
        raise ValueError(f"not a forbidden category (categories: {', '.join(FORBIDDEN)})")
    return name


# One of the forbidden categories of the table in config/categories.py.
ForbiddenCategory = Annotated[
    str,
    AfterValidator(_forbidden_category),
    WithJsonSchema({"enum": list(FORBIDDEN), "type": "string"}),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


# ---------------------------------------------------------------- gateway.yaml
class ServerConfig(Strict):
    host: str = "127.0.0.1"
    """Listen address."""
    port: int = Field(8080, ge=1, le=65535)
    """Listen port."""
    public_url: str | None = Field(None, pattern=r"^https?://[^/?#\s]+/?$")
    """The gateway's address as clients reach it (`https://collect.example.com`): what the
    settings document names as the API host. Never taken from a request's Host header."""
    max_header_bytes: int = Field(32 * 1024, ge=1024, le=1024 * 1024)
    """A request's head larger than this is refused with 431 and the connection closed."""
    max_header_fields: int = Field(100, ge=8, le=10_000)
    """A request with more header fields than this is refused with 431."""
    header_timeout_seconds: float = Field(10.0, gt=0, le=300)
    """A request's head (request line and header fields) must arrive within this time, and
    a new connection must start one within it."""


class SqliteStorage(Strict):
    backend: Literal["sqlite"] = "sqlite"
    """SQLite files on this machine (the embedded default)."""
    path: str = "data/gateway.db"
    """The outbox/ledger database file (preferences go to a sibling `*.prefs.db`); relative to
    the working directory."""


class SentinelConfig(Strict):
    """Redis Sentinel: the sentinels are asked which node is the master, again after every
    failover, so edges and workers follow a promotion without a restart."""

    master_name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    """The name the sentinels monitor the master under (`sentinel monitor NAME …`)."""
    nodes: list[str] = Field(min_length=1)
    """The sentinels, "host:port" each."""
    database: int = Field(0, ge=0, le=15)
    """The database number on the master."""
    username_env: str | None = None
    """Environment variable holding the ACL user name, if the master requires one."""
    password_env: str | None = None
    """Environment variable holding the master's and replicas' password (as in a URL)."""
    sentinel_password_env: str | None = None
    """Environment variable holding the sentinels' own password, if they require one."""
    tls: bool = False
    """Connect to the sentinels and the master over TLS."""

    @field_validator("nodes")
    @classmethod
    def _nodes(cls, value: list[str]) -> list[str]:
        for node in value:
            host, _, port = node.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f'"{node}" is not host:port')
        return value

    def addresses(self) -> list[tuple[str, int]]:
        return [(n.rpartition(":")[0].strip("[]"), int(n.rpartition(":")[2])) for n in self.nodes]


class RedisStorage(Strict):
    backend: Literal["redis"]
    """One Redis shared by several gateway nodes and independent delivery workers."""
    url: str | None = Field(None, pattern=r"^(redis|rediss|unix)://")
    """redis://, rediss:// (TLS) or unix:// URL of the Redis server (or of one Cluster node);
    or give `sentinel` instead."""
    sentinel: SentinelConfig | None = None
    """Find the master through Redis Sentinel instead of a fixed `url`."""
    cluster: bool = False
    """Connect as a Redis Cluster client."""
    key_prefix: str = Field("cg", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    """Prefix (and hash tag) of every key, so several gateways can share one Redis."""
    claim_idle_seconds: float = Field(60.0, gt=0)
    """A payload a crashed worker held this long is taken over by another worker (XAUTOCLAIM)."""
    min_replicas: int = Field(0, ge=0, le=16)
    """Replicas that must have a write (WAIT) before it is acknowledged; 0: the master's
    reply is enough (asynchronous replication, a failover can lose acknowledged writes)."""
    replica_timeout_ms: int = Field(500, ge=1, le=1000)
    """How long a write waits for those replicas before it is refused with 503. At most 1 s,
    so the refusal still comes within the edge's 2 s promise."""

    def database(self) -> str:
        """The database number the URL (or the sentinel settings) select ("0" by default)."""
        if self.sentinel is not None:
            return str(self.sentinel.database)
        return urlsplit(self.url or "").path.strip("/") or "0"


Storage = Annotated[SqliteStorage | RedisStorage, Field(discriminator="backend")]


class GeoConfig(Strict):
    database: str | None = None
    """Path of a GeoLite2-City/GeoIP2-City (.mmdb) file; null skips geo enrichment and
    jurisdictions by country."""


class LimitsConfig(Strict):
    max_event_bytes: int = Field(32 * 1024, ge=1024, le=16 * 1024 * 1024)
    """Largest single event, in bytes after decompression (413 above)."""
    max_batch_bytes: int = Field(500 * 1024, ge=1024, le=64 * 1024 * 1024)
    """Largest request body, in bytes after decompression (413 above)."""
    max_depth: int = Field(32, ge=4, le=128)
    """Deepest nesting of objects and arrays accepted in an event (400 above)."""
    max_batch_events: int = Field(2000, ge=1, le=100_000)
    """Most events in one /v1/batch request (413 above)."""


class TrustedProxies(Strict):
    networks: list[str] = []
    """CIDR networks of the proxies or load balancers whose forwarded header is believed."""
    header: str = "x-forwarded-for"
    """The header carrying the client address (X-Forwarded-For form): the nearest address
    in it that is not a trusted proxy is the client."""

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
    "explain",
    "dsar:read",
    "dsar:write",
    "deadletter",
    "ledger:read",
    "reload",
    "metrics",
    "config:read",
    "config:write",
    "debug:read",
]
"""What an admin token may do. `config:read`: read the destinations with their live status
and preview events (/admin/api, the console); `config:write`: add, change and remove
destinations and send test events; `debug:read`: the live event debugger."""


class AdminToken(Strict):
    name: str = Field(min_length=1)
    """A label for the token, written to the admin log with each request it makes."""
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """Hex SHA-256 of the token (`printf %s TOKEN | sha256sum`); the token itself goes in
    `Authorization: Bearer`."""
    scopes: list[AdminScope] = Field(min_length=1)
    """What the token may do: explain, dsar:read, dsar:write, deadletter, ledger:read, reload,
    metrics, config:read (destinations and their status, previews), config:write (change
    destinations, send test events), debug:read (the live event debugger)."""


class AdminConfig(Strict):
    tokens: list[AdminToken] = []
    """Who may call /admin/*: each token is stored as its SHA-256, never in clear."""
    protect_metrics: bool = False
    """GET /metrics then needs a token with the `metrics` scope (Authorization: Bearer, as
    Prometheus' `authorization` scrape option sends it)."""


class SecretsConfig(Strict):
    key_env: str | None = None
    """Environment variable holding the gateway key (subject keys, subject tokens).
    When absent, the SQLite backend keeps a generated key next to its database."""


class DeliveryConfig(Strict):
    max_attempts: int = Field(8, ge=1, le=100)
    """Attempts before a payload is dead-lettered."""
    max_age_seconds: float = Field(4 * 3600, gt=0)
    """Age after which a payload still failing is dead-lettered."""
    timeout_seconds: float = Field(10.0, gt=0, le=300)
    """Per-request timeout towards a destination."""
    concurrency: int = Field(8, ge=1, le=256)
    """Requests in flight per worker process."""
    backoff_base_seconds: float = Field(1.0, gt=0)
    """First retry delay; doubles per attempt (full jitter)."""
    backoff_max_seconds: float = Field(900.0, gt=0)
    """Longest retry delay (a destination's Retry-After is honoured up to this)."""
    breaker_failures: int = Field(5, ge=1)
    """Consecutive failures that open a destination's circuit breaker."""
    breaker_cooldown_seconds: float = Field(30.0, gt=0)
    """How long an open breaker waits before trying the destination again."""
    poll_interval_seconds: float = Field(0.2, gt=0, le=60)
    """How often an idle worker looks for due payloads."""


class RetentionConfig(Strict):
    ledger_days: int = Field(1095, ge=1)
    """Provision records kept this long (APPI art. 30 asks for 1-3 years)."""
    consent_log_days: int = Field(1095, ge=1)
    """Consent-change records kept this long."""
    dead_letter_days: int = Field(30, ge=1)
    """Dead letters kept this long before they are purged."""
    admin_log_days: int = Field(730, ge=1)
    """The admin request log holds who asked for a disclosure, correction or deletion: the
    policy keeps request documents "for two years after the completion of the response"."""


class RateLimit(Strict):
    rate: float = Field(gt=0, description="Tokens added per second.")
    burst: int = Field(ge=1)
    """Bucket size: requests allowed at once."""


class RateLimitsConfig(Strict):
    """Token buckets, shared by every node on Redis; `null` turns one off. The ingest limits
    are off by default (a server-side source sends thousands of events a second from one
    address); the ones guarding stored choices and secrets are on."""

    per_write_key: RateLimit | None = None
    """Ingest requests per source write key; null: none."""
    per_ip: RateLimit | None = None
    """Ingest requests per client address (IPv6: per /64), checked before the body is read;
    null: none."""
    events_per_source: RateLimit | None = None
    """Events per source, a batch counted by its events; null: none."""
    consent_writes_per_subject: RateLimit | None = RateLimit(rate=0.2, burst=20)
    """Consent changes per device (PUT /v1/consent and the preference page)."""
    consent_writes_per_ip: RateLimit | None = RateLimit(rate=2.0, burst=120)
    """Consent changes per client address."""
    tokens_per_ip: RateLimit | None = RateLimit(rate=5.0, burst=300)
    """Subject tokens issued to new devices (the preference page, ingest responses)."""
    failed_auth_per_ip: RateLimit | None = RateLimit(rate=1.0, burst=100)
    """Unknown write keys, invalid subject tokens and unknown admin tokens."""


class DedupeConfig(Strict):
    window_seconds: int = Field(24 * 3600, ge=0)
    """An event whose (source, messageId) was seen within this window is skipped; 0 turns
    deduplication off."""


class WorkerConfig(Strict):
    in_process: bool = True
    """`gateway serve` runs a delivery worker in each process; false for edge-only nodes (same
    as --no-worker)."""


class DemoConfig(Strict):
    enabled: bool = False
    """Serves /demo and /demo/feed (which shows what file destinations received)."""


class ConsoleConfig(Strict):
    """The marketing console (/console) and its API (/admin/api)."""

    debugger: bool = False
    """Keep the latest events, as the policy left them, with each destination's verdict, for
    the live debugger: in memory (SQLite), or in one capped Redis stream that every node
    shares (Redis). Off by default: nothing is kept unless this is true."""
    debugger_events: int = Field(200, ge=1, le=5000)
    """Most events the debugger buffer holds (the oldest go first)."""
    debugger_seconds: int = Field(300, ge=1, le=3600)
    """Events older than this leave the debugger buffer."""
    session_minutes: int = Field(60, ge=1, le=24 * 60)
    """A console sign-in expires after this long."""


class GatewayFile(Strict):
    server: ServerConfig = ServerConfig()
    """Where `gateway serve` listens (the command's --host/--port override it)."""
    storage: Storage = SqliteStorage()
    """Where the outbox, preferences, ledger and limits live: `{backend: sqlite, path}` (one
    machine, the default) or `{backend: redis, url}` (several nodes)."""
    geo: GeoConfig = GeoConfig()
    """The MaxMind-format database for country/region/city lookups."""
    limits: LimitsConfig = LimitsConfig()
    """Size and shape limits applied while a request body is read."""
    trusted_proxies: TrustedProxies = TrustedProxies()
    """Peers allowed to set the client address through a forwarded header."""
    admin: AdminConfig = AdminConfig()
    """Bearer tokens for the /admin endpoints, each with its scopes."""
    secrets: SecretsConfig = SecretsConfig()
    """Where the gateway key comes from."""
    delivery: DeliveryConfig = DeliveryConfig()
    """Delivery workers: attempts, timeouts, backoff, circuit breaker."""
    retention: RetentionConfig = RetentionConfig()
    """How long records and dead letters are kept."""
    rate_limits: RateLimitsConfig = RateLimitsConfig()
    """Token-bucket limits per write key and per client IP (429 with Retry-After)."""
    dedupe: DedupeConfig = DedupeConfig()
    """Duplicate detection by (source, messageId)."""
    worker: WorkerConfig = WorkerConfig()
    """Whether `gateway serve` also delivers."""
    demo: DemoConfig = DemoConfig()
    """The demo page."""
    console: ConsoleConfig = ConsoleConfig()
    """The marketing console and its live debugger."""


# ---------------------------------------------------------------- sources.yaml
CssColor = Annotated[str, Field(pattern=r"^(#[0-9A-Fa-f]{3,8}|[a-z]{3,20})$")]
CssLength = Annotated[str, Field(pattern=r"^(0|[0-9]{1,3}(\.[0-9]{1,2})?(px|rem|em))$")]


class BannerTheme(Strict):
    """CSS custom properties of the SDK's consent banner (--cg-*). Plain values only: a
    theme cannot inject rules into the host page."""

    background: CssColor = "#ffffff"
    """Banner background colour (#rgb, #rrggbb or a CSS colour name)."""
    text: CssColor = "#1a1a1a"
    """Banner text colour."""
    accent: CssColor = "#0b4f8a"
    """Colour of the buttons."""
    accent_text: CssColor = "#ffffff"
    """Colour of the buttons' text."""
    font: str = Field("system-ui, sans-serif", pattern=r"^[A-Za-z0-9 ,\"'-]{1,120}$")
    """CSS font-family list."""
    radius: CssLength = "8px"
    """Corner radius (px, rem or em)."""
    position: Literal["bottom", "top", "center"] = "bottom"
    """Where the banner sits: bottom, top or center."""


class BannerConfig(Strict):
    theme: BannerTheme = BannerTheme()
    """Colours, font and placement of the banner."""
    logo_url: str | None = Field(None, pattern=r"^(https://[^\s\"'<>]+|/[^\s\"'<>]*)$")
    """A logo shown in the banner: an https URL or an absolute path."""


class SourceConfig(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    """The source's name, in logs, metrics and the ledger."""
    write_key: str = Field(min_length=8, max_length=200)
    """The key senders use (HTTP Basic username or body `writeKey`). A public identifier, not a
    secret."""
    kind: Literal["web", "ios", "android", "server"]
    """web (browsers: CORS, cookie subject token), ios / android (apps: header subject token)
    or server (relays other people's events: no subject token)."""
    allowed_origins: list[str] = []
    """Browser origins granted CORS (scheme://host[:port]); only web sources need them."""
    allow_categories: list[str] = []
    """Forbidden categories this source may send (e.g. location for an app that explains why);
    each passes only when consent grants the purpose of the same name."""
    banner: BannerConfig = BannerConfig()
    """The consent banner the browser SDK shows for this source (web sources)."""
    tracking_plan: str | None = None
    """The name of the plan (plans:) this source's events must follow; none: no plan."""
    child_directed: bool = False
    """A service for children: no advertising, no advertising IDs, no third-party recipients."""

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


# ------------------------------------------------------------ plans (any file)
class PlanConfig(Strict):
    """Keys every tracking plan has; gateway/plans/ subclasses it with the events (the
    loader is given that model, as it is given the destinations' models)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    """The plan's name, which sources name in tracking_plan."""

    def problems(self) -> list[str]:
        """Sentences about what the model alone cannot check (its JSON Schemas)."""
        return []

    def event_count(self) -> int:
        return 0


# ----------------------------------------------------------- destinations.yaml
class EventFilter(Strict):
    types: list[str] = ["*"]
    """Event types sent (track, page, screen, identify, group, alias; * for all)."""
    names: list[str] = ["*"]
    """Event names sent (track `event`, page/screen `name`; * wildcards). identify, group and
    alias pass."""


class Rename(Strict):
    rename: str = Field(pattern=r"^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")
    """The dotted path the value moves to."""


TRANSFORM_NAMES = ("sha256", "truncate_ip", "drop")


def _transform(value: object) -> object:
    if isinstance(value, str) and value in TRANSFORM_NAMES:
        return value
    if isinstance(value, dict) and set(value) == {"rename"}:
        return Rename.model_validate(value)
    raise ValueError("must be sha256, truncate_ip, drop or {rename: new.dotted.path}")


RENAME_SCHEMA = {
    "type": "object",
    "properties": {
        "rename": {
            "type": "string",
            "pattern": r"^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$",
            "description": "The dotted path the value moves to.",
        }
    },
    "required": ["rename"],
    "additionalProperties": False,
}
Transform = Annotated[
    str | Rename,
    BeforeValidator(_transform),
    WithJsonSchema({"anyOf": [{"enum": list(TRANSFORM_NAMES)}, RENAME_SCHEMA]}),
]


class RecipientConfig(Strict):
    """Who receives the data, as the external-transmission notice names them."""

    name: str = Field(min_length=1, max_length=200)
    """The recipient's name as the notice and the disclosure show it (a company, not a tool)."""
    contact: str = ""
    """Where a person can ask the recipient about their data (an address, email or phone)."""
    privacy_policy_url: str = Field("", pattern=r"^(https://[^\s\"'<>]+)?$")
    """The recipient's own privacy policy (https)."""
    opt_out_url: str = Field("", pattern=r"^(https://[^\s\"'<>]+)?$")
    """Where a person can opt out with the recipient directly (https)."""


Role = Literal["processor", "third_party", "joint_use"]


class DestinationConfig(Strict):
    """Keys every destination has; each adapter subclasses this with its own keys."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    """The destination's name, in the ledger, metrics, preferences (per-vendor opt-out) and the
    notice."""
    type: str
    """The adapter: webhook, ga4, meta_capi, segment or file."""
    country: CountryCode
    """ISO 3166-1 country the data goes to: the home country or an allowed transfer country."""
    purposes: list[PurposeName] = Field(min_length=1)
    """Purposes that must all be granted for an event to go."""
    events: EventFilter = EventFilter()
    """Which events go (default: every type and name)."""
    fields: list[str] = Field(min_length=1)
    """Allow-list of dotted paths sent (* one key, ** any depth); a field not named is never
    sent."""
    transforms: dict[str, Transform] = {}
    """Per path: sha256, truncate_ip, drop or {rename: new.path}."""
    secret_env: str | None = None
    """Environment variable holding the destination's secret (webhook signing key; the vendor
    credential). Never in the YAML."""
    allow_private_network: bool = False
    """Allow a loopback/private/link-local URL (test receivers only)."""
    tcf_vendor_id: int | None = Field(None, ge=1, le=65535)
    """IAB Global Vendor List ID: when an event carries a TCF string, this vendor needs its
    consent there too."""
    description: str = ""
    """What the destination does, shown on the external-transmission notice and the preference
    page."""
    enabled: bool = True
    """false keeps the destination in the config but sends it nothing (and drops it from the
    notice)."""
    role: Role = "third_party"
    """`processor`: processing entrusted on the company's behalf (APPI art. 27(5)(i));
    `third_party` and `joint_use` need the subject's prior consent. No role is a third party
    (fail closed)."""
    responsible_party: str = ""
    """For `joint_use`: the party responsible for managing the jointly used data."""
    recipient: RecipientConfig | None = None
    """Who receives the data, named on the external-transmission notice, the preference page
    and disclosures (default: the destination's name)."""
    allow_insecure_http: bool = False
    """Plain http to a public host (the payload crosses the internet unencrypted)."""

    def endpoint(self) -> str | None:
        """The URL this destination connects to, if any (checked against private networks)."""
        return None

    def notice_key(self) -> str:
        """The recipient as a choice knows it: a new name, country or purpose is a new
        recipient, to be asked about again."""
        return f"{self.name}|{self.country}|{'+'.join(sorted(self.purposes))}"


# ---------------------------------------------------------------- policy.yaml
class PurposeConfig(Strict):
    default: Literal["granted", "denied"] = "granted"
    """granted (opt-out model) or denied (opt-in) when no signal decides."""
    description: str = ""
    """What the purpose is, in English (preference page, notice)."""
    description_ja: str = ""
    """What the purpose is, in Japanese."""


class Jurisdiction(Strict):
    name: str
    """The jurisdiction's name (usable in unknown_country)."""
    countries: list[CountryCode] = Field(min_length=1)
    """ISO 3166-1 codes of the countries it covers."""
    opt_in: list[PurposeName] = []
    """Purposes that need an explicit grant in these countries: no default grants them."""


class IpPolicy(Strict):
    ipv4_prefix: int | None = Field(24, ge=0, le=32)
    """Bits of an IPv4 address kept (24: a.b.c.0); null removes the address."""
    ipv6_prefix: int | None = Field(48, ge=0, le=128)
    """Bits of an IPv6 address kept; null removes the address."""


class Transfers(Strict):
    home_country: CountryCode = "JP"
    """The company's country (ISO 3166-1)."""
    allowed_countries: list[CountryCode] = ["PH", "AU", "CA", "US", "KR", "TW"]
    """Foreign countries the policy names as transfer destinations."""


class TcfConfig(Strict):
    purposes: dict[PurposeName, list[int]] = {
        "analytics": [1, 8, 9, 10],
        "advertising": [1, 2, 3, 4, 7],
    }
    """Our purpose → the TCF purpose numbers that must all be consented."""


class PolicyFile(Strict):
    version: str = "2026-04-01"
    """A name for this policy's version, stored with every provision record and consent change."""
    purposes: dict[PurposeName, PurposeConfig] = {
        "service": PurposeConfig(default="granted"),
        "analytics": PurposeConfig(default="granted"),
        "advertising": PurposeConfig(default="granted"),
    }
    """Purposes of use and their defaults (built in: service, analytics, advertising, granted
    unless refused: APPI's opt-out model)."""
    jurisdictions: list[Jurisdiction] = []
    """Countries where some purposes need an explicit grant (built in: EU/EEA, UK, CH for
    analytics and advertising)."""
    unknown_country: str = "home"
    """Defaults for a visitor whose country is unknown: "home", or the name of a jurisdiction."""
    ip: IpPolicy = IpPolicy()
    """How client IPs are truncated after the geo lookup."""
    transfers: Transfers = Transfers()
    """Countries data may go to (a destination elsewhere is a config error)."""
    forbidden_categories: list[ForbiddenCategory] = list(FORBIDDEN)
    """Categories removed from every event at the edge, whatever the destination."""
    extra_key_names: dict[ForbiddenCategory, list[str]] = {}
    """More key names (per category) that mark a field as forbidden data, beside the built-in
    English and Japanese ones."""
    sensitive_query_params: list[str] = []
    """URL query parameters removed from every URL in an event."""
    ad_identifier_fields: list[str] = ["context.device.advertisingId"]
    """Paths holding an advertising ID (IDFA/AAID), governed by adTrackingEnabled, ATT and the
    customer's choice."""
    cmp_categories: dict[str, PurposeName] = {}
    """A consent-management platform's category name → our purpose (built in: OneTrust's C000n
    and common names)."""
    honor_dnt: bool = False
    """Treat `DNT: 1` like `Sec-GPC: 1` (advertising refused)."""
    tcf: TcfConfig = TcfConfig()
    """IAB TCF v2.2 purposes that grant each of our purposes."""
    opt_out_url: str = "/privacy/preferences"
    """Where customers change their choices, named on the external-transmission notice."""
    privacy_policy_url: str = Field("", pattern=r"^(https://[^\s\"'<>]+|/[^\s\"'<>]*)?$")
    """The company's privacy policy, linked from the notice and the preference page."""
    contact_desk: str = "Phone 0120-924721 (9:00-18:00, except Sundays, holidays and New Year)"
    """The company's desk for personal-information inquiries, shown on the notice and the
    pages (English; `contact_desk_ja` in Japanese)."""
    contact_desk_ja: str = "電話：0120-924721（9〜18時 日祝・年末年始除く）"
    """The policy's inquiry desk ("Contact Us"), shown on the notice and the preference page."""
    third_party_basis: Literal["consent", "opt_out"] = "consent"
    """`consent`: third parties and joint users receive only what was granted by an explicit
    signal. `opt_out`: the company runs an opt-out procedure registered with the PPC
    (APPI art. 27(2)), so purpose defaults apply to them too."""
    child_age: int = Field(16, ge=1, le=21)
    """An event whose consent context gives an age under this is a child's."""
    att_denies_advertising: bool = True
    """ATT not authorised or limit-ad-tracking on denies the advertising purpose for the event;
    false keeps the older behaviour (only the advertising ID is removed)."""
