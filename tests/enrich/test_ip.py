from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway.enrich.ip import parse_ip, truncate_ip


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("203.0.113.0", "203.0.113.0"),
        ("255.255.255.255", "255.255.255.0"),
        ("0.0.0.0", "0.0.0.0"),
        ("2001:db8:1234:5678:9abc::1", "2001:db8:1234::"),
        ("2001:0DB8:0000:0001:0000:0000:0000:0001", "2001:db8::"),
        ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8:ffff::"),
        ("::1", "::"),
        ("fe80::1%eth0", "fe80::"),
        ("::ffff:203.0.113.77", "203.0.113.0"),
        ("::ffff:cb00:714d", "203.0.113.0"),
        # 6to4: 2002:cb00:714d::/48 would be exactly 203.0.113.77.
        ("2002:cb00:714d:1::1", "2002:cb00:7100::"),
        # Teredo keeps its client in the last 64 bits, cut by /48.
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:0:4136::"),
    ],
)
def test_truncate_with_default_prefixes(ip: str, expected: str) -> None:
    assert truncate_ip(ip) == expected


@pytest.mark.parametrize(
    "ip",
    [
        "",
        "not an ip",
        "203.0.113",
        "203.0.113.256",
        "203.0.113.07",
        " 203.0.113.7",
        "2001:db8::1::2",
        "203.0.113.7/24",
        "[2001:db8::1]",
        "gggg::1",
    ],
)
def test_invalid_addresses_give_none(ip: str) -> None:
    assert truncate_ip(ip) is None


def test_non_string_input_gives_none() -> None:
    # JSON can carry a number where a string is expected; ip_address(int) would accept it.
    assert truncate_ip(3405803853) is None  # type: ignore[arg-type]
    assert parse_ip(None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ip", "ipv4_prefix", "ipv6_prefix", "expected"),
    [
        ("203.0.113.77", 32, 48, "203.0.113.77"),
        ("203.0.113.77", 0, 48, "0.0.0.0"),
        ("203.0.113.77", 16, 48, "203.0.0.0"),
        ("203.0.113.77", 25, 48, "203.0.113.0"),
        ("203.0.113.200", 25, 48, "203.0.113.128"),
        ("2001:db8:1:2:3:4:5:6", 24, 128, "2001:db8:1:2:3:4:5:6"),
        ("2001:db8:1:2:3:4:5:6", 24, 0, "::"),
        ("2001:db8:1:2:3:4:5:6", 24, 64, "2001:db8:1:2::"),
        ("2001:db8:1:2:3:4:5:6", 24, 56, "2001:db8:1::"),
        ("2001:db8:1:2ff:3:4:5:6", 24, 56, "2001:db8:1:200::"),
        ("::ffff:203.0.113.77", 16, 128, "203.0.0.0"),
        ("2002:cb00:714d::1", 32, 128, "2002:cb00:714d::"),
        ("2002:cb00:714d::1", 0, 48, "2002::"),
    ],
)
def test_prefix_lengths(ip: str, ipv4_prefix: int, ipv6_prefix: int, expected: str) -> None:
    assert truncate_ip(ip, ipv4_prefix, ipv6_prefix) == expected


@pytest.mark.parametrize(
    ("ipv4_prefix", "ipv6_prefix", "message"),
    [
        (33, 48, "ipv4_prefix must be between 0 and 32, got 33"),
        (-1, 48, "ipv4_prefix must be between 0 and 32, got -1"),
        (24, 129, "ipv6_prefix must be between 0 and 128, got 129"),
        (24, -8, "ipv6_prefix must be between 0 and 128, got -8"),
    ],
)
def test_out_of_range_prefixes_are_rejected(
    ipv4_prefix: int, ipv6_prefix: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        truncate_ip("203.0.113.77", ipv4_prefix, ipv6_prefix)


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("203.0.113.7", IPv4Address("203.0.113.7")),
        ("::ffff:203.0.113.7", IPv4Address("203.0.113.7")),
        ("2001:db8::7", IPv6Address("2001:db8::7")),
        ("fe80::7%eth0", IPv6Address("fe80::7")),
        ("::203.0.113.7", IPv6Address("::cb00:7107")),
        ("nope", None),
    ],
)
def test_parse_ip(ip: str, expected: IPv4Address | IPv6Address | None) -> None:
    parsed = parse_ip(ip)
    assert parsed == expected
    if parsed is not None:
        assert str(parsed) == str(expected)


@given(st.ip_addresses(v=4), st.integers(0, 32))
def test_ipv4_truncation_is_the_network_address(address: IPv4Address, prefix: int) -> None:
    expected = ip_network((address, prefix), strict=False).network_address
    assert truncate_ip(str(address), prefix, 48) == str(expected)
    assert truncate_ip(f"::ffff:{address}", prefix, 128) == str(expected)


@given(st.ip_addresses(v=6), st.integers(0, 128))
def test_ipv6_truncation_is_the_network_address(address: IPv6Address, prefix: int) -> None:
    assume(address.ipv4_mapped is None and address.sixtofour is None)
    expected = ip_network((address, prefix), strict=False).network_address
    assert truncate_ip(str(address), 24, prefix) == expected.compressed


@given(st.ip_addresses(v=4), st.integers(0, 2**80 - 1), st.integers(0, 32))
def test_6to4_never_keeps_more_of_the_ipv4_than_its_prefix(
    ipv4: IPv4Address, host: int, ipv4_prefix: int
) -> None:
    address = IPv6Address(0x2002 << 112 | int(ipv4) << 80 | host)
    truncated = IPv6Address(truncate_ip(str(address), ipv4_prefix, 128) or "")
    assert truncated.sixtofour == ip_network((ipv4, ipv4_prefix), strict=False).network_address
    assert int(truncated) & (2**80 - 1) == 0


_QUAD_ISH = st.lists(
    st.one_of(
        st.integers(0, 999).map(str),
        st.text("0123456789", min_size=1, max_size=5),  # leading zeros, long octets
        st.sampled_from(["", " 1", "1 ", "0x1", "+1", "١", "1\x00", "²"]),
    ),
    min_size=1,
    max_size=6,
).map(".".join)


def _as_ipaddress_reads_it(text: str) -> IPv4Address | IPv6Address | None:
    """What parse_ip must give: `ipaddress.ip_address`, a zone dropped, an IPv4-mapped
    address as its IPv4."""
    try:
        reference = ip_address(text)
    except ValueError:
        return None
    if isinstance(reference, IPv6Address):
        return reference.ipv4_mapped or IPv6Address(int(reference))
    return reference


@given(st.one_of(_QUAD_ISH, st.text(max_size=20)))
def test_a_dotted_quad_is_read_as_ipaddress_reads_it(text: str) -> None:
    """parse_ip reads IPv4 in C first (inet_pton): it must accept exactly what
    `ipaddress.ip_address` accepts, giving the same address, and truncate alike."""
    reference = _as_ipaddress_reads_it(text)
    assert parse_ip(text) == reference
    if isinstance(reference, IPv4Address):
        for prefix in (0, 8, 24, 31, 32):
            expected = ip_network(f"{reference}/{prefix}", strict=False).network_address
            assert truncate_ip(text, prefix, 48) == str(expected)


_HEXTET = st.one_of(
    st.integers(0, 0xFFFF).map(lambda n: f"{n:x}"),
    st.text("0123456789abcdefABCDEF", min_size=1, max_size=5),
    st.sampled_from(["", "0", "00000", "g", "1.2.3.4", "01.2.3.4", "%eth0", "1%1", " "]),
)
_IPV6_ISH = st.one_of(
    st.lists(_HEXTET, min_size=1, max_size=9).map(":".join),
    st.tuples(
        st.lists(_HEXTET, max_size=7).map(":".join), st.lists(_HEXTET, max_size=7).map(":".join)
    ).map("::".join),
)


@given(st.one_of(_IPV6_ISH, st.ip_addresses(v=6).map(str)))
def test_an_ipv6_address_is_read_as_ipaddress_reads_it(text: str) -> None:
    """parse_ip reads IPv6 in C first (inet_pton): the same addresses as
    `ipaddress.ip_address` (a zone dropped, an IPv4-mapped address as its IPv4)."""
    reference = _as_ipaddress_reads_it(text)
    assert parse_ip(text) == reference


@given(st.ip_addresses(v=6), st.integers(0, 128))
def test_an_ipv6_network_is_written_as_ipaddress_writes_it(
    address: IPv6Address, prefix: int
) -> None:
    """Truncation writes with the C library's inet_ntop: the same text as `.compressed`
    (IPv4-compatible tails included), whatever the prefix."""
    assume(address.ipv4_mapped is None and address.sixtofour is None)
    expected = ip_network((address, prefix), strict=False).network_address.compressed
    assert truncate_ip(str(address), 24, prefix) == expected
    compatible = IPv6Address(int(address) & (2**32 - 1))  # ::a.b.c.d
    assume(compatible.ipv4_mapped is None)
    assert truncate_ip(str(compatible), 24, prefix) == ip_network(
        (compatible, prefix), strict=False
    ).network_address.compressed
