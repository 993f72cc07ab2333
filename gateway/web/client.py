"""The client behind a request (its address and scheme, behind trusted proxies) and the
CORS headers the gateway grants to configured sites."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Protocol

from starlette.requests import Request

from gateway.config.schema import TrustedProxies
from gateway.enrich.geo import GeoLookup

CORS_METHODS = "GET, POST, PUT, OPTIONS"
# x-retry-count: analytics-next adds it to every retry (without it, retries fail CORS).
CORS_HEADERS = (
    "authorization, content-type, content-encoding, gateway-subject, x-csrf-token, "
    "x-retry-count, x-consent-source"
)


CORS_EXPOSE = "gateway-subject, retry-after, x-csrf-token"
VARY = (b"vary", b"Origin")
GRANT = (
    (b"access-control-allow-credentials", b"true"),
    (b"access-control-expose-headers", CORS_EXPOSE.encode()),
)


class HeaderLines(Protocol):
    def getlist(self, key: str) -> list[str]: ...


def cors_headers(origin: str | None, allowed: frozenset[str]) -> dict[str, str]:
    headers = {"vary": "Origin"}
    if origin and origin in allowed:
        headers["access-control-allow-origin"] = origin
        headers["access-control-allow-credentials"] = "true"
        headers["access-control-expose-headers"] = CORS_EXPOSE
    return headers


def cors_fields(origin: str | None, allowed: frozenset[str]) -> list[tuple[bytes, bytes]]:
    """cors_headers as the raw header list of an ASGI response."""
    if origin and origin in allowed:
        return [VARY, (b"access-control-allow-origin", origin.encode("latin-1")), *GRANT]
    return [VARY]


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

    def resolve(self, peer: str | None, headers: HeaderLines) -> str | None:
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


def country_of(request: Request, client: ClientAddress, geo: GeoLookup | None) -> str | None:
    """The visitor's country by GeoIP (None without a database or a match)."""
    peer = request.client.host if request.client else None
    address = client.resolve(peer, request.headers)
    info = geo.lookup(address) if geo is not None and address else None
    return info.country if info else None
