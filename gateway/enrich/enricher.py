"""The enrichment stage: what the gateway derives from the request, added to
`event["context"]` before policy runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.enrich.geo import GeoInfo, GeoLookup
from gateway.enrich.ip import check_prefix, parse_ip, truncate_address
from gateway.enrich.useragent import MAX_USER_AGENT_LENGTH, UserAgentInfo, UserAgentParser

IP_CACHE_SIZE = 65_536
AGENT_CACHE_SIZE = 8192
MAX_IP_TEXT = 64


@dataclass(frozen=True, slots=True)
class Group:
    """Fields one user agent adds to `context[key]`: `names` is the whole group (a client
    value under any of them keeps the group out), `values` those the agent gave."""

    key: str
    names: tuple[str, ...]
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class AgentFields:
    """What one user-agent string adds to a context, derived once per string."""

    groups: tuple[Group, ...]
    agent: tuple[tuple[str, bool], ...]


def agent_fields(info: UserAgentInfo) -> AgentFields:
    groups = (
        _group("browser", name=info.browser_family, version=info.browser_version),
        _group("os", name=info.os_family, version=info.os_version),
        _group("device", manufacturer=info.device_brand, model=info.device_model),
        _group("device", type=device_type(info)),
    )
    agent = (("isMobile", info.is_mobile), ("isTablet", info.is_tablet),
             ("isPc", info.is_pc), ("isBot", info.is_bot))  # fmt: skip
    return AgentFields(groups, agent)


def _group(key: str, **values: str | None) -> Group:
    present = tuple((name, value) for name, value in values.items() if value is not None)
    return Group(key, tuple(values), present)


class Enricher:
    """Fills browser/OS/device and agent flags from `context.userAgent`, sets
    `context.geo` from the full `context.ip`, then truncates or removes the IP.

    `context.agent` and `context.geo` are the gateway's own fields: a client's
    values there are replaced or removed. The client's own `context.browser`,
    `context.os` and `context.device` values are never overwritten (mobile
    SDKs send those themselves). A prefix of None removes that IP family's
    addresses instead of truncating them.
    """

    def __init__(
        self,
        user_agents: UserAgentParser,
        geo: GeoLookup | None,
        ipv4_prefix: int | None = 24,
        ipv6_prefix: int | None = 48,
    ) -> None:
        if ipv4_prefix is not None:
            check_prefix("ipv4_prefix", ipv4_prefix, 32)
        if ipv6_prefix is not None:
            check_prefix("ipv6_prefix", ipv6_prefix, 128)
        self._user_agents = user_agents
        self._geo = geo
        self._ipv4_prefix = ipv4_prefix
        self._ipv6_prefix = ipv6_prefix
        self._by_ip: dict[str, tuple[dict[str, str] | None, str | None]] = {}
        # Visitors send many events with one browser: what its string adds is kept.
        self._by_agent: dict[str, AgentFields] = {}

    def enrich(self, event: dict[str, Any]) -> None:
        context = event.get("context")
        if not isinstance(context, dict):
            context = event["context"] = {}
        self._add_user_agent(context)
        ip = context.get("ip")
        if isinstance(ip, str) and len(ip) > MAX_IP_TEXT:
            context.pop("ip")  # no address is this long; not worth a cache slot
            ip = None
        if not isinstance(ip, str):
            self._add_geo(context)
            self._coarsen_ip(context)
            return
        # Visitors send many events from one address: its geo and truncation are kept.
        known = self._by_ip.get(ip)
        if known is None:
            self._add_geo(context)
            self._coarsen_ip(context)
            known = (context.get("geo"), context.get("ip"))
            if len(self._by_ip) >= IP_CACHE_SIZE:
                self._by_ip.clear()
            self._by_ip[ip] = known
            return
        geo, coarse = known
        _put(context, "geo", dict(geo) if geo is not None else None)
        _put(context, "ip", coarse)

    def _add_user_agent(self, context: dict[str, Any]) -> None:
        user_agent = context.get("userAgent")
        if not isinstance(user_agent, str):
            context.pop("agent", None)
            return
        key = user_agent[:MAX_USER_AGENT_LENGTH]
        fields = self._by_agent.get(key)
        if fields is None:
            fields = agent_fields(self._user_agents.parse(key))
            if len(self._by_agent) >= AGENT_CACHE_SIZE:
                self._by_agent.clear()
            self._by_agent[key] = fields
        for group in fields.groups:
            _fill(context, group)
        context["agent"] = dict(fields.agent)

    def _add_geo(self, context: dict[str, Any]) -> None:
        ip = context.get("ip")
        info = self._geo.lookup(ip) if self._geo is not None and isinstance(ip, str) else None
        geo = _geo_fields(info)
        if geo:
            context["geo"] = geo
        else:
            context.pop("geo", None)

    def _coarsen_ip(self, context: dict[str, Any]) -> None:
        ip = context.pop("ip", None)
        address = parse_ip(ip) if isinstance(ip, str) else None
        if address is None:
            return
        ipv4_prefix, ipv6_prefix = self._ipv4_prefix, self._ipv6_prefix
        if (ipv4_prefix if address.version == 4 else ipv6_prefix) is None:
            return
        # A 6to4 IPv6 address embeds an IPv4 one: when IPv4 is removed, keep none of it.
        context["ip"] = truncate_address(address, ipv4_prefix or 0, ipv6_prefix or 0)


def _put(context: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        context.pop(key, None)
    else:
        context[key] = value


def device_type(info: UserAgentInfo) -> str:
    """Segment's `context.device.type` for a browser: a bot first, since a
    crawler may present itself as a phone."""
    if info.is_bot:
        return "bot"
    if info.is_tablet:
        return "tablet"
    if info.is_mobile:
        return "mobile"
    if info.is_pc:
        return "desktop"
    return "other"


def _fill(context: dict[str, Any], group: Group) -> None:
    """Adds the group's values to `context[group.key]` only when the client sent none of
    the group's keys: a client's OS name is not paired with a version parsed from a user
    agent that may describe something else."""
    target = context.get(group.key)
    if target is None:
        if group.values:
            context[group.key] = dict(group.values)
        return
    if not isinstance(target, dict):
        return
    for name in group.names:
        if name in target:
            return
    target.update(group.values)


def _geo_fields(info: GeoInfo | None) -> dict[str, str]:
    if info is None:
        return {}
    fields = {"country": info.country, "subdivision": info.subdivision, "city": info.city}
    return {name: value for name, value in fields.items() if value is not None}
