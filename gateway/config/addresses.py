"""Which hosts are not public: loopback, private, link-local, reserved and cloud-metadata
addresses, and the local names that reach them. Config validation checks a destination's
URL with `address_problem`; the connect-time guard (`destinations/network.py`) checks
every resolved address with `classify_address`."""

from __future__ import annotations

import ipaddress
import socket

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
