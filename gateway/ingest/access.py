"""Who is calling: write key → source, CORS per source, the client address."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping, Sequence

from starlette.datastructures import Headers

from gateway.config.schema import SourceConfig, TrustedProxies
from gateway.errors import OriginNotAllowed, Unauthorized

CORS_METHODS = "GET, POST, PUT, OPTIONS"
# x-retry-count: analytics-next adds it to every retry (without it, retries fail CORS).
CORS_HEADERS = (
    "authorization, content-type, content-encoding, gateway-subject, x-csrf-token, "
    "x-retry-count, x-consent-source"
)


class Sources:
    def __init__(self, sources: Sequence[SourceConfig]) -> None:
        self._by_key = {s.write_key: s for s in sources}
        self.origins = frozenset(o for s in sources if s.kind == "web" for o in s.allowed_origins)

    def default_key(self) -> str | None:
        """The first configured source's write key (what `explain` uses when none is named)."""
        return next(iter(self._by_key), None)

    def authenticate(self, authorization: str | None, body_key: object) -> SourceConfig:
        key = basic_username(authorization) if authorization else None
        if key is None and isinstance(body_key, str):
            key = body_key
        if not key:
            raise Unauthorized("missing write key: use HTTP Basic auth or writeKey in the body")
        source = self._by_key.get(key)
        if source is None:
            raise Unauthorized("unknown write key")
        return source

    def check_origin(self, source: SourceConfig, origin: str | None, own: str) -> None:
        """Browsers send Origin; a web source accepts only its listed origins (and the
        gateway's own pages, which it served itself)."""
        if origin is None or (origin == own and source.kind == "web"):
            return
        if source.kind != "web":
            raise OriginNotAllowed(
                f"this write key belongs to a {source.kind} source, not a web one"
            )
        if origin not in source.allowed_origins:
            raise OriginNotAllowed("origin not allowed for this write key")


def basic_username(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, ValueError):  # ValueError: non-ASCII text (UnicodeError too)
        raise Unauthorized("malformed Basic authorization header") from None
    return decoded.partition(":")[0] or None


def cors_headers(origin: str | None, allowed: frozenset[str]) -> dict[str, str]:
    headers = {"vary": "Origin"}
    if origin and origin in allowed:
        headers["access-control-allow-origin"] = origin
        headers["access-control-allow-credentials"] = "true"
        headers["access-control-expose-headers"] = "gateway-subject, retry-after, x-csrf-token"
    return headers


def preflight_headers(origin: str | None, allowed: frozenset[str]) -> dict[str, str]:
    headers = cors_headers(origin, allowed)
    if "access-control-allow-origin" in headers:
        headers["access-control-allow-methods"] = CORS_METHODS
        headers["access-control-allow-headers"] = CORS_HEADERS
        headers["access-control-max-age"] = "600"
    return headers


class ClientAddress:
    def __init__(self, proxies: TrustedProxies) -> None:
        self._networks = [ipaddress.ip_network(n, strict=False) for n in proxies.networks]
        self._header = proxies.header

    def resolve(self, peer: str | None, headers: Headers) -> str | None:
        """The peer address, or — only when the peer is a trusted proxy — the nearest
        untrusted address in the forwarded header. Every line of the header counts: a proxy
        such as HAProxy adds its own line after the one the client sent."""
        if peer is None or not self._networks or not self._trusted(peer):
            return peer
        lines = headers.getlist(self._header)
        hops = [_host(h) for line in lines for h in line.split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop if _is_ip(hop) else peer
        return hops[0] if hops and _is_ip(hops[0]) else peer

    def scheme(self, peer: str | None, headers: Mapping[str, str], direct: str) -> str:
        """The scheme the client used: behind a trusted proxy that terminates TLS, the one
        in X-Forwarded-Proto; else the connection's own."""
        if peer is None or not self._networks or not self._trusted(peer):
            return direct
        forwarded = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        return forwarded if forwarded in ("http", "https") else direct

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d
        return any(ip in network for network in self._networks)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _host(hop: str) -> str:
    """The address of one forwarded hop, without a port: `203.0.113.5:4711` and
    `[2001:db8::5]:4711` are written by some proxies."""
    hop = hop.strip()
    if hop.startswith("["):
        return hop[1:].partition("]")[0]
    if hop.count(":") == 1:
        return hop.partition(":")[0]
    return hop
