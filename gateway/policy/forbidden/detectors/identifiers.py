"""Full IP addresses wherever they are written.

Privacy policy, 1.: the IP address is collected as part of the "operating environment", and
our policy (`policy.yaml` `ip`) forwards it only truncated (IPv4 /24, IPv6 /48 by default). An
app that copies the address into `properties`, a log line, a header dump or a URL parameter
would forward it whole; so every full address in any string is truncated in place (or removed
when the policy's prefix is None), the rest of the string kept.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv6Address

from gateway.enrich.ip import read_ipv6, truncate_address, write_ipv6

_V4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)", re.ASCII)
_V6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])", re.ASCII)
_PERCENT_COLON = re.compile("%3[aA]")


def ip_prefilter(text: str) -> bool:
    """True of every string holding an address: an IPv4 one has three dots, an IPv6 one two
    colons (written or percent-encoded)."""
    return len(text) >= 7 and (text.count(".") >= 3 or text.count(":") >= 2 or "%3" in text)


class IpTruncator:
    """Rewrites the full addresses in a string to their network, per the policy's prefixes."""

    def __init__(self, ipv4_prefix: int | None, ipv6_prefix: int | None) -> None:
        self.ipv4_prefix = ipv4_prefix
        self.ipv6_prefix = ipv6_prefix

    def rewrite(self, text: str) -> str | None:
        """`text` with its full addresses truncated, or None when it holds none."""
        if not ip_prefilter(text):
            return None
        decoded = _PERCENT_COLON.sub(":", text) if "%3" in text else text
        if (decoded.count(".") < 3 or _V4.search(decoded) is None) and (
            decoded.count(":") < 2 or _V6.search(decoded) is None
        ):
            return None
        changed = False

        def swap(match: re.Match[str]) -> str:
            nonlocal changed
            written = match.group(0)
            short = self.short(written)
            if short is None or short == written:
                return written
            changed = True
            return short

        rewritten = _V6.sub(swap, _V4.sub(swap, decoded))
        return rewritten if changed else None

    def short(self, written: str) -> str | None:
        """The address as the policy forwards it (None: not an address, or kept whole)."""
        if ":" not in written:
            return self._short_v4(written)
        address = read_ipv6(written)  # `written` matched _V6: no zone, no dotted tail
        if address is None:
            return None
        short = self._short(address)
        return None if short == write_ipv6(int(address)) else short

    def _short_v4(self, written: str) -> str | None:
        """`short` for a dotted quad without the ipaddress module (the common case, at C
        speed when compiled): `ip_address` refuses an octet over 255 or with a leading 0."""
        value = 0
        for part in written.split("."):
            if not part.isdigit() or len(part) > 3 or (len(part) > 1 and part[0] == "0"):
                return None
            octet = int(part)
            if octet > 255:
                return None
            value = value << 8 | octet
        prefix = self.ipv4_prefix
        if prefix is None:
            return ""
        if prefix >= 32:
            return None
        value = value >> (32 - prefix) << (32 - prefix)
        short = f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"
        return None if short == written else short  # written as ip_address writes it

    def _short(self, address: IPv4Address | IPv6Address) -> str:
        v4 = isinstance(address, IPv4Address)
        prefix = self.ipv4_prefix if v4 else self.ipv6_prefix
        if prefix is None:
            return ""
        full = 32 if v4 else 128
        if prefix >= full:
            return str(address) if v4 else write_ipv6(int(address))
        return truncate_address(address, self.ipv4_prefix or 0, self.ipv6_prefix or 0)
