from __future__ import annotations

import random
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import user_agents
import yaml
from ua_parser import regex
from ua_parser import user_agent_parser as legacy_api

from gateway.enrich.useragent import MAX_USER_AGENT_LENGTH, UserAgentInfo, UserAgentParser

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

# uap-core's corpora and ua-parser-builtins 202610 agree on every case.
MIN_AGREEMENT = 1.0


def test_iphone(ua_parser: UserAgentParser) -> None:
    assert ua_parser.parse(IPHONE) == UserAgentInfo(
        browser_family="Mobile Safari",
        browser_version="17.2",
        os_family="iOS",
        os_version="17.2.1",
        device_family="iPhone",
        device_brand="Apple",
        device_model="iPhone",
        is_mobile=True,
        is_tablet=False,
        is_pc=False,
        is_bot=False,
        is_touch_capable=True,
    )


def test_desktop_browser_version_stops_at_patch(ua_parser: UserAgentParser) -> None:
    info = ua_parser.parse(WINDOWS_CHROME)
    assert (info.browser_family, info.browser_version) == ("Chrome", "120.0.6099")
    assert (info.os_family, info.os_version) == ("Windows", "10")
    assert (info.device_family, info.device_brand, info.device_model) == (None, None, None)
    assert (info.is_pc, info.is_mobile, info.is_tablet, info.is_bot) == (True, False, False, False)


def test_tablet_and_bot(ua_parser: UserAgentParser) -> None:
    ipad = ua_parser.parse(IPAD)
    assert (ipad.is_tablet, ipad.is_mobile, ipad.is_touch_capable) == (True, False, True)
    bot = ua_parser.parse(GOOGLEBOT)
    assert (bot.browser_family, bot.device_family, bot.is_bot) == ("Googlebot", "Spider", True)


@pytest.mark.parametrize("user_agent", ["", "x", "\x00\xff", "🙂" * 50])
def test_unknown_strings_give_nones(ua_parser: UserAgentParser, user_agent: str) -> None:
    info = ua_parser.parse(user_agent)
    assert (info.browser_family, info.os_family, info.device_family) == (None, None, None)
    assert (info.browser_version, info.os_version) == (None, None)
    assert not (info.is_mobile or info.is_tablet or info.is_pc or info.is_bot)


def test_uses_the_rust_resolver_and_never_the_legacy_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def legacy_called(*args: object, **kwargs: object) -> None:
        raise AssertionError("legacy ua_parser.user_agent_parser API called")

    for name in ("Parse", "ParseUserAgent", "ParseOS", "ParseDevice"):
        monkeypatch.setattr(legacy_api, name, legacy_called)
    parser = UserAgentParser()
    assert isinstance(parser._resolver, regex.Resolver)
    assert parser.parse(IPHONE).is_mobile


def test_cache_is_bounded_lru() -> None:
    parser = UserAgentParser(cache_size=2)
    parser.parse(IPHONE)
    parser.parse(IPAD)
    parser.parse(IPHONE)  # hit; IPAD is now the least recently used
    parser.parse(GOOGLEBOT)  # evicts IPAD
    parser.parse(IPHONE)  # hit
    parser.parse(IPAD)  # miss
    info = parser.cache_info()
    assert (info.hits, info.misses, info.currsize, info.maxsize) == (2, 4, 2, 2)


def test_cached_result_equals_uncached(ua_parser: UserAgentParser) -> None:
    assert UserAgentParser(cache_size=0).parse(IPHONE) == ua_parser.parse(IPHONE)
    assert ua_parser.parse(IPHONE) is ua_parser.parse(IPHONE)


def test_negative_cache_size_is_rejected() -> None:
    with pytest.raises(ValueError, match="cache_size must be 0 or more, got -1"):
        UserAgentParser(cache_size=-1)


def test_overlong_strings_are_cut_before_caching() -> None:
    parser = UserAgentParser(cache_size=4)
    padded = IPHONE + " " + "x" * 100_000
    assert parser.parse(padded) == parser.parse(IPHONE)
    parser.parse(padded + "y")  # same first 1024 characters: a cache hit
    assert parser.cache_info().hits == 1
    assert len(IPHONE) < MAX_USER_AGENT_LENGTH


# --- uap-core corpora (../shared) --------------------------------------------


@cache
def _cases(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as file:
        cases: list[dict[str, Any]] = yaml.load(file, Loader=yaml.CSafeLoader)["test_cases"]
    return cases


def _version(*parts: str | None) -> str | None:
    present: list[str] = []
    for part in parts:
        if part is None:
            break
        present.append(part)
    return ".".join(present) or None


def _or_other(family: str | None) -> str:
    return family if family is not None else "Other"


def _browser(info: UserAgentInfo, case: dict[str, Any]) -> tuple[Any, ...]:
    expected = (case["family"], _version(case["major"], case["minor"], case["patch"]))
    return (_or_other(info.browser_family), info.browser_version), expected


def _os(info: UserAgentInfo, case: dict[str, Any]) -> tuple[Any, ...]:
    version = _version(case["major"], case["minor"], case["patch"], case.get("patch_minor"))
    return (_or_other(info.os_family), info.os_version), (case["family"], version)


def _device(info: UserAgentInfo, case: dict[str, Any]) -> tuple[Any, ...]:
    actual = (_or_other(info.device_family), info.device_brand, info.device_model)
    return actual, (case["family"], case["brand"], case["model"])


CORPORA = [
    ("tests/test_ua.yaml", _browser, 1601),
    ("tests/test_os.yaml", _os, 483),
    ("tests/test_device.yaml", _device, 16129),
    ("test_resources/additional_os_tests.yaml", _os, 23),
    ("test_resources/firefox_user_agent_strings.yaml", _browser, 244),
    ("test_resources/opera_mini_user_agent_strings.yaml", _browser, 203),
    ("test_resources/podcasting_user_agent_strings.yaml", _browser, 144),
    ("test_resources/pgts_browser_list.yaml", _browser, 12500),
]


@pytest.mark.parametrize(("name", "compare", "count"), CORPORA, ids=[c[0] for c in CORPORA])
def test_agrees_with_uap_core_corpus(
    uap_core_dir: Path, name: str, compare: Any, count: int
) -> None:
    parser = UserAgentParser(cache_size=0)
    cases = _cases(uap_core_dir / name)
    mismatches = []
    for case in cases:
        actual, expected = compare(parser.parse(case["user_agent_string"]), case)
        if actual != expected:
            mismatches.append((case["user_agent_string"], actual, expected))
    agreement = 1 - len(mismatches) / len(cases)
    assert len(cases) == count
    assert agreement >= MIN_AGREEMENT, f"{name}: {agreement:.4%} agree; first: {mismatches[:5]}"


FLAGS = ("is_mobile", "is_tablet", "is_pc", "is_bot", "is_touch_capable")

# A bot token after the 100th character: uap-core's device rule is
# `^.{0,100}(bot|crawl|…)`, a bound added only against regex backtracking, and
# ua-parser-rs reads bounds of 100+ as unbounded (uap-core#596, uap-go#91).
LATE_BOT_TOKEN = (
    "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; CDSource=v9e.03; "
    ".NET CLR 1.0.3705; .NET CLR 1.1.4322; MSIECrawler)"
)


def _known_divergence(user_agent: str, ours: UserAgentInfo, theirs: Any, flag: str) -> bool:
    late_bot = ours.device_family == "Spider" and theirs.device.family == "Other"
    return flag == "is_bot" and late_bot and len(user_agent) > 100


def test_bot_token_after_100_characters_is_a_bot(ua_parser: UserAgentParser) -> None:
    ours, theirs = ua_parser.parse(LATE_BOT_TOKEN), user_agents.parse(LATE_BOT_TOKEN)
    assert (ours.is_bot, theirs.is_bot) == (True, False)
    assert _known_divergence(LATE_BOT_TOKEN, ours, theirs, "is_bot")


def test_classification_agrees_with_user_agents_package(
    uap_core_dir: Path, ua_parser: UserAgentParser
) -> None:
    strings = sorted(
        {
            case["user_agent_string"]
            for name in ("tests/test_ua.yaml", "tests/test_os.yaml", "tests/test_device.yaml")
            for case in _cases(uap_core_dir / name)
        }
    )
    sample = random.Random(20261128).sample(strings, 500)
    disagreements = []
    for user_agent in sample:
        ours = ua_parser.parse(user_agent)
        theirs = user_agents.parse(user_agent)  # the slow legacy path, as reference
        disagreements += [
            (user_agent, flag)
            for flag in FLAGS
            if getattr(ours, flag) != getattr(theirs, flag)
            and not _known_divergence(user_agent, ours, theirs, flag)
        ]
    assert disagreements == []
    assert sum(ua_parser.parse(user_agent).is_mobile for user_agent in sample) > 50
    assert any(ua_parser.parse(user_agent).is_tablet for user_agent in sample)
    assert any(ua_parser.parse(user_agent).is_bot for user_agent in sample)
