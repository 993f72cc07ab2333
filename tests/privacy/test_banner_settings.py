"""What the SDK's banner is told: the notice version (a stable digest of purposes and
recipients), the visitor's regime from the policy's jurisdictions, purposes, recipients and
texts; and the settings endpoint serving it from a real gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.config.loader import Config
from gateway.destinations.registry import read_config
from gateway.privacy.banner import banner_settings
from gateway.privacy.notice import notice_version
from tests.privacy.stack import Stack
from tests.support.configs import APP_KEY, WEB_KEY, default_sources, webhook, write_config

URL = "https://hooks.example.com/"
THREE = {"service": {}, "analytics": {}, "advertising": {}}


def config(tmp_path: Path, name: str, destinations: list[dict[str, Any]], **policy: Any) -> Config:
    return read_config(write_config(tmp_path / name, destinations=destinations, policy=policy))


def two() -> list[dict[str, Any]]:
    return [
        webhook("stats", URL, description="Usage statistics"),
        webhook("ads", URL, purposes=["advertising"], country="US"),
    ]


def test_the_notice_version_is_stable_and_ignores_wording_order_and_fields(
    tmp_path: Path,
) -> None:
    base = notice_version(config(tmp_path, "a", two()))
    assert base.startswith("n1-") and len(base) == 19
    assert notice_version(config(tmp_path, "b", two())) == base
    reordered = list(reversed(two()))
    reordered[0]["description"] = "Advertising partner"
    reordered[1]["fields"] = ["type", "event"]
    assert notice_version(config(tmp_path, "c", reordered)) == base
    disabled = [*two(), webhook("off", URL, enabled=False)]
    assert notice_version(config(tmp_path, "d", disabled)) == base


@pytest.mark.parametrize(
    "change",
    ["new recipient", "recipient gains a purpose", "recipient moves country", "new purpose"],
)
def test_the_notice_version_changes_with_purposes_and_recipients(
    tmp_path: Path, change: str
) -> None:
    base = notice_version(config(tmp_path, "a", two()))
    destinations, policy = two(), {}
    if change == "new recipient":
        destinations.append(webhook("crm", URL))
    elif change == "recipient gains a purpose":
        destinations[0]["purposes"] = ["analytics", "advertising"]
    elif change == "recipient moves country":
        destinations[1]["country"] = "AU"
    else:
        policy = {"purposes": {**THREE, "personalisation": {"default": "denied"}}}
    assert notice_version(config(tmp_path, "b", destinations, **policy)) != base


@pytest.mark.parametrize(
    ("country", "regime", "jurisdiction", "opt_in"),
    [
        ("JP", "opt_out", None, []),
        (None, "opt_out", None, []),
        ("DE", "opt_in", "eea-uk-ch", ["analytics", "advertising"]),
        ("GB", "opt_in", "eea-uk-ch", ["analytics", "advertising"]),
        ("CH", "opt_in", "eea-uk-ch", ["analytics", "advertising"]),
    ],
)
def test_the_regime_follows_the_policy_jurisdictions(
    tmp_path: Path, country: str | None, regime: str, jurisdiction: str | None, opt_in: list[str]
) -> None:
    live = config(tmp_path, "a", two())
    source = live.sources[0]
    shown = banner_settings(live, source, country, False, "en")
    assert (shown["regime"], shown["jurisdiction"]) == (regime, jurisdiction)
    assert [p["name"] for p in shown["purposes"] if p["opt_in"]] == opt_in
    assert [p["name"] for p in shown["purposes"]] == ["analytics", "advertising"]  # not service
    assert shown["notice_version"] == notice_version(live)


def test_a_purpose_denied_by_default_makes_even_japan_opt_in(tmp_path: Path) -> None:
    live = config(tmp_path, "a", two(), purposes={**THREE, "advertising": {"default": "denied"}})
    shown = banner_settings(live, live.sources[0], "JP", False, "ja")
    assert shown["regime"] == "opt_in"
    assert [p["name"] for p in shown["purposes"] if p["opt_in"]] == ["advertising"]


def test_recipients_texts_and_theme_come_from_the_config(tmp_path: Path) -> None:
    sources = default_sources()
    sources[0]["banner"] = {
        "logo_url": "/static/logo.svg",
        "theme": {"accent": "#123456", "position": "top"},
    }
    directory = write_config(tmp_path / "a", destinations=two(), sources=sources)
    live = read_config(directory)
    shown = banner_settings(live, live.sources[0], "JP", True, "ja")
    assert shown["gpc"] is True
    assert shown["texts"]["reject"] == "すべて拒否"
    assert shown["logo_url"] == "/static/logo.svg"
    assert shown["theme"]["accent"] == "#123456" and shown["theme"]["position"] == "top"
    ads = next(r for r in shown["recipients"] if r["name"] == "ads")
    assert ads["country"] == "アメリカ合衆国" and ads["key"] == "ads|US|advertising"
    assert ads["purposes"] == ["閲覧履歴に基づく広告（行動ターゲティング広告）"]


def test_a_theme_cannot_carry_css_or_script(tmp_path: Path) -> None:
    from gateway.config.schema import BannerConfig

    for bad in (
        {"theme": {"accent": "red;background:url(x)"}},
        {"theme": {"font": "x}body{display:none"}},
        {"theme": {"radius": "calc(1px)"}},
        {"logo_url": "javascript:alert(1)"},
        {"logo_url": "http://plain.example.com/logo.png"},
    ):
        with pytest.raises(ValueError):
            BannerConfig.model_validate(bad)


def test_the_settings_endpoint_serves_the_banner_settings(stack: Stack) -> None:
    url = f"{stack.url}/v1/projects/{WEB_KEY}/settings"
    answer = httpx.get(url, headers={"accept-language": "en-US,en;q=0.9", "sec-gpc": "1"})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    consent = answer.json()["consent"]
    assert consent["notice_version"] == notice_version(read_config(stack.config_dir))
    assert consent["regime"] == "opt_out"  # no GeoIP database here: the home country's
    assert consent["gpc"] is True and consent["lang"] == "en"
    assert consent["texts"]["accept"] == "Accept all"
    assert {r["name"] for r in consent["recipients"]} == {"stats", "stats2", "ads"}
    assert httpx.get(url + "?lang=ja").json()["consent"]["texts"]["accept"] == "すべて同意"
    assert httpx.get(f"{stack.url}/v1/projects/{APP_KEY}/settings").json()["consent"]


def test_the_banner_chunk_is_served(stack: Stack) -> None:
    answer = httpx.get(f"{stack.url}/sdk/v1/banner.min.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert b"__cgBanner" in answer.content
