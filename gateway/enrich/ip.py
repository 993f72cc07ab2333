"""IP parsing and truncation: the full address is never forwarded or stored."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from socket import AF_INET, AF_INET6, inet_ntop, inet_pton

IPAddress = IPv4Address | IPv6Address


def parse_ip(ip: str) -> IPAddress | None:
    """The address in `ip`, or None when it is not one.

    An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, what a dual-stack
    socket reports for an IPv4 client) comes back as its IPv4 address; an IPv6
    zone (`%eth0`) is dropped.
    """
    if not isinstance(ip, str):
        return None
    if ":" in ip:  # never IPv4; IPv6 always has two
        address = read_ipv6(ip)
        if address is None:
            return None
        return address.ipv4_mapped or (IPv6Address(int(address)) if address.scope_id else address)
    try:  # read in C: ipaddress's own parser costs 2 µs (6 for IPv6)
        return IPv4Address(inet_pton(AF_INET, ip))
    except (OSError, ValueError):  # inet_pton accepts no form ipaddress refuses
        pass
    try:
        return IPv4Address(ip)
    except ValueError:
        return None


def truncate_ip(ip: str, ipv4_prefix: int = 24, ipv6_prefix: int = 48) -> str | None:
    """The network address of `ip` at the given prefix length, or None when
    `ip` is not an address: `203.0.113.77` → `203.0.113.0`, `2001:db8:1:2::9`
    → `2001:db8:1::`."""
    _check_prefixes(ipv4_prefix, ipv6_prefix)
    address = parse_ip(ip)
    return None if address is None else _truncate(address, ipv4_prefix, ipv6_prefix)


def truncate_address(address: IPAddress, ipv4_prefix: int, ipv6_prefix: int) -> str:
    """`truncate_ip` for an address already parsed by `parse_ip`."""
    _check_prefixes(ipv4_prefix, ipv6_prefix)
    return _truncate(address, ipv4_prefix, ipv6_prefix)


def check_prefix(name: str, prefix: int, max_length: int) -> None:
    """Raises ValueError unless 0 <= prefix <= max_length (32 for IPv4, 128 for IPv6)."""
    if not 0 <= prefix <= max_length:
        raise ValueError(f"{name} must be between 0 and {max_length}, got {prefix}")


def _check_prefixes(ipv4_prefix: int, ipv6_prefix: int) -> None:
    check_prefix("ipv4_prefix", ipv4_prefix, 32)
    check_prefix("ipv6_prefix", ipv6_prefix, 128)


def _truncate(address: IPAddress, ipv4_prefix: int, ipv6_prefix: int) -> str:
    # A 6to4 address (2002::/16) carries a whole IPv4 address in bits 16–47,
    # so it keeps at most 16 + ipv4_prefix bits; /48 would keep all of it.
    if isinstance(address, IPv4Address):
        prefix = ipv4_prefix
    elif address.sixtofour is not None:
        prefix = min(ipv6_prefix, 16 + ipv4_prefix)
    else:
        prefix = ipv6_prefix
    host_bits = address.max_prefixlen - prefix
    network = int(address) >> host_bits << host_bits
    if isinstance(address, IPv4Address):
        return inet_ntop(AF_INET, network.to_bytes(4, "big"))  # as `.compressed` writes it
    return write_ipv6(network)


def read_ipv6(text: str) -> IPv6Address | None:
    """`IPv6Address(text)` read in C (inet_pton) where it can be; None when not an address."""
    try:
        return IPv6Address(inet_pton(AF_INET6, text))
    except (OSError, ValueError):
        pass
    try:
        return IPv6Address(text)
    except ValueError:
        return None


def write_ipv6(value: int) -> str:
    """`IPv6Address(value).compressed`, written in C (inet_ntop). The C library writes a
    tail as a dotted quad (`::ffff:1.2.3.4`) where ipaddress writes hextets; everything
    else alike (RFC 5952: tests/enrich/test_ip.py)."""
    written = inet_ntop(AF_INET6, value.to_bytes(16, "big"))
    return written if "." not in written else IPv6Address(value).compressed
