"""Outbound address checks: destinations may not reach loopback, private, link-local or
cloud-metadata addresses unless their config says `allow_private_network: true`.

Checked twice: on the configured URL at config load (`address_problem`), and on every
address a hostname resolves to at connect time (`GuardedBackend`), so DNS rebinding cannot
turn a public name into an internal target.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from gateway.errors import FatalDelivery

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def classify_address(address: str) -> str | None:
    """Why an IP address is not public (e.g. "a loopback address"), or None when it is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4 carried inside IPv6 (mapped, 6to4, Teredo) is judged as the IPv4 it reaches.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return classify_address(str(embedded))
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (includes cloud metadata 169.254.169.254)"
    if ip.is_private or ip.is_reserved or ip.is_unspecified or ip.is_multicast:
        return "a private or reserved address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "a carrier-grade NAT address"
    site_local = isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
    if site_local or not ip.is_global:  # ranges not routed on the Internet
        return "a private or reserved address"
    return None


def address_problem(host: str) -> str | None:
    """Config-time check of a URL host: IP literals and well-known local names only
    (other names are resolved and checked at connect time)."""
    name = host.strip("[]").lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return "a loopback address"
    if name in METADATA_HOSTS:
        return "a cloud metadata address"
    return classify_address(_legacy_ipv4(name) or name)


def _legacy_ipv4(name: str) -> str | None:
    """IPv4 in the forms inet_aton still accepts and resolvers pass through (`2130706433`,
    `127.1`, `0x7f000001`): the dotted-quad it means, or None."""
    if not name or not all(c in "0123456789abcdefx." for c in name):
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(name))
    except OSError:
        return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses non-public addresses, connects to a vetted one."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        problem = address_problem(host)
        if problem:
            raise FatalDelivery(f"refused to connect: destination host is {problem}")
        addresses = await _resolve(host, port)
        for address in addresses:
            problem = classify_address(address)
            if problem:
                raise FatalDelivery(f"refused to connect: destination host resolves to {problem}")
        # Every address was vetted: try them in order, as a plain connect would (an IPv6
        # address listed first must not make a host unreachable from an IPv4-only network).
        failure: Exception = httpcore.ConnectError("destination host has no address")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise FatalDelivery("refused to connect: unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve destination host ({exc.strerror})") from exc
    return [str(info[4][0]) for info in infos]


def build_client(*, guarded: bool, timeout: float, max_connections: int) -> httpx.AsyncClient:
    """A pooled client: no redirects, no proxy/env settings, and (guarded) the address check."""
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False, retries=0)
    if guarded:
        # httpx has no public hook for the network backend; its pool is rebuilt around ours.
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(),
        )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": "consent-gateway/0.1"},
    )
