"""IP truncation's dotted-quad fast path says what the ipaddress module says, for every
written quad (octets over 255, leading zeros) and every prefix the policy allows."""

from __future__ import annotations

from ipaddress import ip_address

from hypothesis import given
from hypothesis import strategies as st

from gateway.enrich.ip import truncate_address
from gateway.policy.forbidden.detectors.identifiers import IpTruncator

octet = st.one_of(st.integers(0, 999).map(str), st.from_regex(r"0\d{1,2}", fullmatch=True))


def by_ipaddress(written: str, prefix: int | None) -> str | None:
    try:
        address = ip_address(written)
    except ValueError:
        return None
    if prefix is None:
        return ""
    short = truncate_address(address, prefix, 48)
    return None if short == str(address) else short


@given(octets=st.lists(octet, min_size=4, max_size=4), prefix=st.none() | st.integers(0, 32))
def test_the_fast_path_agrees_with_ipaddress(octets: list[str], prefix: int | None) -> None:
    written = ".".join(octets)
    assert IpTruncator(prefix, 48).short(written) == by_ipaddress(written, prefix)


def test_a_full_address_is_truncated_wherever_it_stands() -> None:
    truncator = IpTruncator(24, 48)
    assert truncator.rewrite("client 126.33.6.233 said hi") == "client 126.33.6.0 said hi"
    assert truncator.rewrite("126.33.6.0") is None  # already truncated
    assert truncator.rewrite("version 10.2.300.1") is None  # not an address
