"""Outbound address checks: destinations may not reach loopback, private, link-local or
cloud-metadata addresses unless their config says `allow_private_network: true`.

Checked twice: on the configured URL at config load (`address_problem`), and on every
address a hostname resolves to at connect time (`GuardedBackend`), so DNS rebinding cannot
turn a public name into an internal target.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from gateway.config.addresses import address_problem, classify_address
from gateway.errors import FatalDelivery


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
