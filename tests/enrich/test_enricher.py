from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.enrich import enricher as enricher_module
from gateway.enrich.enricher import Enricher, device_type
from gateway.enrich.geo import GeoInfo, MaxMindGeo
from gateway.enrich.useragent import UserAgentInfo, UserAgentParser

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
)
MAC_FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def geo(test_mmdb: Path) -> Iterator[MaxMindGeo]:
    with MaxMindGeo(test_mmdb) as reader:
        yield reader


@pytest.fixture
def enricher(ua_parser: UserAgentParser, geo: MaxMindGeo) -> Enricher:
    return Enricher(ua_parser, geo)


def _enriched(enricher: Enricher, context: dict[str, Any]) -> dict[str, Any]:
    event = {"type": "track", "event": "Viewed", "context": copy.deepcopy(context)}
    enricher.enrich(event)
    result: dict[str, Any] = event["context"]
    return result


# --- user agent --------------------------------------------------------------


def test_browser_os_device_and_agent_from_user_agent(enricher: Enricher) -> None:
    context = _enriched(enricher, {"userAgent": IPHONE})
    assert context == {
        "userAgent": IPHONE,
        "browser": {"name": "Mobile Safari", "version": "17.2"},
        "os": {"name": "iOS", "version": "17.2.1"},
        "device": {"manufacturer": "Apple", "model": "iPhone", "type": "mobile"},
        "agent": {"isMobile": True, "isTablet": False, "isPc": False, "isBot": False},
    }


def test_desktop_without_device_brand(enricher: Enricher) -> None:
    context = _enriched(enricher, {"userAgent": MAC_FIREFOX})
    assert context["browser"] == {"name": "Firefox", "version": "121.0"}
    assert context["os"] == {"name": "Mac OS X", "version": "10.15"}
    assert context["device"] == {"manufacturer": "Apple", "model": "Mac", "type": "desktop"}
    assert context["agent"]["isPc"] is True


def test_unknown_user_agent_adds_only_type_and_agent(enricher: Enricher) -> None:
    context = _enriched(enricher, {"userAgent": "zz unknown zz"})
    assert "browser" not in context
    assert "os" not in context
    assert context["device"] == {"type": "other"}
    assert context["agent"] == {"isMobile": False, "isTablet": False, "isPc": False, "isBot": False}


def test_client_values_are_never_overwritten(enricher: Enricher) -> None:
    sent = {
        "userAgent": IPHONE,
        "os": {"name": "iPadOS"},
        "browser": {"version": "99"},
        "device": {"model": "iPhone15,2", "type": "ios", "advertisingId": "x"},
    }
    context = _enriched(enricher, sent)
    assert context["os"] == {"name": "iPadOS"}
    assert context["browser"] == {"version": "99"}
    assert context["device"] == {"model": "iPhone15,2", "type": "ios", "advertisingId": "x"}


def test_client_sent_device_without_type_gets_type(enricher: Enricher) -> None:
    context = _enriched(enricher, {"userAgent": IPHONE, "device": {"id": "d1"}})
    assert context["device"] == {
        "id": "d1",
        "manufacturer": "Apple",
        "model": "iPhone",
        "type": "mobile",
    }


def test_client_non_object_values_are_left_alone(enricher: Enricher) -> None:
    context = _enriched(enricher, {"userAgent": IPHONE, "os": "iOS", "device": ["x"]})
    assert (context["os"], context["device"]) == ("iOS", ["x"])
    assert context["browser"] == {"name": "Mobile Safari", "version": "17.2"}


def test_client_agent_is_replaced_or_removed(enricher: Enricher) -> None:
    forged = {"isMobile": False, "isBot": False, "isPc": True, "extra": 1}
    replaced = _enriched(enricher, {"userAgent": GOOGLEBOT, "agent": forged})
    assert replaced["agent"] == {"isMobile": False, "isTablet": False, "isPc": False, "isBot": True}
    assert replaced["device"]["type"] == "bot"
    assert "agent" not in _enriched(enricher, {"agent": forged})
    assert "agent" not in _enriched(enricher, {"userAgent": 42, "agent": forged})


def test_a_cached_user_agent_gives_each_event_its_own_fields(enricher: Enricher) -> None:
    first = _enriched(enricher, {"userAgent": IPHONE})
    first["browser"]["name"], first["agent"]["isBot"] = "edited", True
    first["device"]["type"] = "edited"
    second = _enriched(enricher, {"userAgent": IPHONE})
    assert second == _enriched(Enricher(UserAgentParser(), None), {"userAgent": IPHONE})
    assert second["browser"]["name"] == "Mobile Safari" and second["agent"]["isBot"] is False
    assert second["device"]["type"] == "mobile"


def test_a_cached_user_agent_still_leaves_client_values_alone(enricher: Enricher) -> None:
    _enriched(enricher, {"userAgent": IPHONE})
    context = _enriched(enricher, {"userAgent": IPHONE, "os": {"version": "1"}, "device": {}})
    assert context["os"] == {"version": "1"}
    assert context["device"] == {"manufacturer": "Apple", "model": "iPhone", "type": "mobile"}


def test_user_agents_past_the_cache_size_are_still_enriched(
    ua_parser: UserAgentParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enricher_module, "AGENT_CACHE_SIZE", 2)
    enricher = Enricher(ua_parser, None)
    for agent in (IPHONE, MAC_FIREFOX, GOOGLEBOT, IPHONE):
        assert "agent" in _enriched(enricher, {"userAgent": agent})
    assert _enriched(enricher, {"userAgent": GOOGLEBOT})["device"]["type"] == "bot"


def _info(**flags: bool) -> UserAgentInfo:
    values = {"is_mobile": False, "is_tablet": False, "is_pc": False, "is_bot": False}
    return UserAgentInfo(None, None, None, None, None, None, None, is_touch_capable=False,
                         **(values | flags))  # fmt: skip


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"is_bot": True, "is_mobile": True}, "bot"),
        ({"is_tablet": True, "is_mobile": True}, "tablet"),
        ({"is_mobile": True}, "mobile"),
        ({"is_pc": True}, "desktop"),
        ({}, "other"),
    ],
)
def test_device_type(flags: dict[str, bool], expected: str) -> None:
    assert device_type(_info(**flags)) == expected


# --- geo and IP -------------------------------------------------------------


def test_geo_from_full_ip_then_ip_truncated(enricher: Enricher) -> None:
    # 203.0.113.0/24 is Tokyo in the fixture; the truncated 203.0.113.0 is too,
    # so also check an address whose /24 is not in the database.
    context = _enriched(enricher, {"ip": "192.0.2.1"})
    assert context == {"ip": "192.0.2.0", "geo": {"country": "US"}}
    context = _enriched(enricher, {"ip": "203.0.113.77"})
    assert context == {"ip": "203.0.113.0", "geo": {"country": "JP", "subdivision": "13",
                                                     "city": "Tokyo"}}  # fmt: skip


def test_geo_uses_the_full_address_not_the_truncated_one(ua_parser: UserAgentParser) -> None:
    seen: list[str] = []

    class Recorder:
        def lookup(self, ip: str) -> GeoInfo | None:
            seen.append(ip)
            return GeoInfo("JP", None, None)

    enricher = Enricher(ua_parser, Recorder())
    context = _enriched(enricher, {"ip": "203.0.113.77"})
    assert seen == ["203.0.113.77"]
    assert context == {"ip": "203.0.113.0", "geo": {"country": "JP"}}


def test_ipv6_and_mapped_addresses(enricher: Enricher) -> None:
    assert _enriched(enricher, {"ip": "2001:db8:1:2::9"}) == {
        "ip": "2001:db8:1::",
        "geo": {"country": "DE"},
    }
    assert _enriched(enricher, {"ip": "::ffff:192.0.2.77"}) == {
        "ip": "192.0.2.0",
        "geo": {"country": "US"},
    }


def test_client_geo_is_replaced(enricher: Enricher) -> None:
    forged = {"country": "CH", "city": "Zürich", "latitude": 47.3}
    context = _enriched(enricher, {"ip": "192.0.2.1", "geo": forged})
    assert context["geo"] == {"country": "US"}


@pytest.mark.parametrize(
    "context",
    [
        {"ip": "10.0.0.1", "geo": {"country": "CH"}},
        {"ip": "not-an-ip", "geo": {"country": "CH"}},
        {"ip": 3405803853, "geo": {"country": "CH"}},
        {"geo": {"country": "CH"}},
    ],
)
def test_client_geo_is_removed_when_lookup_gives_nothing(
    enricher: Enricher, context: dict[str, Any]
) -> None:
    enriched = _enriched(enricher, context)
    assert "geo" not in enriched


def test_invalid_ip_is_removed(enricher: Enricher) -> None:
    assert _enriched(enricher, {"ip": "203.0.113.777"}) == {}
    assert _enriched(enricher, {"ip": ["203.0.113.7"]}) == {}


def test_without_geo_database_client_geo_is_removed(ua_parser: UserAgentParser) -> None:
    context = _enriched(Enricher(ua_parser, None), {"ip": "203.0.113.7", "geo": {"country": "CH"}})
    assert context == {"ip": "203.0.113.0"}


@pytest.mark.parametrize(
    ("ipv4_prefix", "ipv6_prefix", "ip", "expected"),
    [
        (None, 48, "203.0.113.77", None),
        (None, 48, "::ffff:203.0.113.77", None),
        (None, 48, "2001:db8:1:2::9", "2001:db8:1::"),
        (24, None, "2001:db8:1:2::9", None),
        (24, None, "203.0.113.77", "203.0.113.0"),
        (None, None, "203.0.113.77", None),
        (16, 32, "203.0.113.77", "203.0.0.0"),
        (16, 32, "2001:db8:1:2::9", "2001:db8::"),
        (32, 128, "203.0.113.77", "203.0.113.77"),
        # IPv4 removed: a 6to4 address, which embeds one, keeps only 2002::/16.
        (None, 48, "2002:cb00:714d::1", "2002::"),
    ],
)
def test_prefix_policy(
    ua_parser: UserAgentParser,
    geo: MaxMindGeo,
    ipv4_prefix: int | None,
    ipv6_prefix: int | None,
    ip: str,
    expected: str | None,
) -> None:
    context = _enriched(Enricher(ua_parser, geo, ipv4_prefix, ipv6_prefix), {"ip": ip})
    assert context.get("ip") == expected
    if ip.endswith("203.0.113.77"):
        assert context["geo"]["city"] == "Tokyo"  # looked up before removal


@pytest.mark.parametrize(
    ("ipv4_prefix", "ipv6_prefix", "message"),
    [(33, 48, "ipv4_prefix must be between 0 and 32"), (24, 129, "ipv6_prefix must be")],
)
def test_bad_prefixes_are_rejected_at_construction(
    ua_parser: UserAgentParser, ipv4_prefix: int, ipv6_prefix: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Enricher(ua_parser, None, ipv4_prefix, ipv6_prefix)


# --- the event ---------------------------------------------------------------


def test_context_is_created_when_absent(enricher: Enricher) -> None:
    event: dict[str, Any] = {"type": "track", "event": "Viewed"}
    enricher.enrich(event)
    assert event == {"type": "track", "event": "Viewed", "context": {}}


def test_non_object_context_is_replaced(enricher: Enricher) -> None:
    event: dict[str, Any] = {"type": "track", "context": "203.0.113.7"}
    enricher.enrich(event)
    assert event["context"] == {}


def test_other_fields_are_untouched(enricher: Enricher) -> None:
    sent = {
        "userAgent": IPHONE,
        "ip": "203.0.113.77",
        "locale": "ja-JP",
        "page": {"path": "/"},
        "library": {"name": "analytics.js"},
    }
    context = _enriched(enricher, sent)
    for key in ("userAgent", "locale", "page", "library"):
        assert context[key] == sent[key]
    assert set(context) == set(sent) | {"browser", "os", "device", "agent", "geo"}
