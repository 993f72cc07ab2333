"""User-agent parsing: ua-parser 1.0 with the Rust regex resolver, classified
with the rules of the `user-agents` package, behind a bounded LRU cache."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ua_parser import OS, Device, Domain, UserAgent
from ua_parser.loaders import load_lazy_builtins
from ua_parser.regex import Resolver
from user_agents import parsers as ua_rules

if TYPE_CHECKING:
    from functools import _CacheInfo

# Longer strings are cut before parsing so that a full cache holds at most
# cache_size × 1 KiB of keys; real user agents are well under 600 characters.
MAX_USER_AGENT_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    """What a user-agent string says; None where the string says nothing."""

    browser_family: str | None
    browser_version: str | None
    os_family: str | None
    os_version: str | None
    device_family: str | None
    device_brand: str | None
    device_model: str | None
    is_mobile: bool
    is_tablet: bool
    is_pc: bool
    is_bot: bool
    is_touch_capable: bool


class UserAgentParser:
    """Parses user-agent strings, caching the last `cache_size` distinct ones.

    An uncached string costs one pass of the Rust regex resolver (~20 µs), so
    a client rotating unique user agents cannot make parsing expensive.
    """

    def __init__(self, cache_size: int = 8192) -> None:
        if cache_size < 0:
            raise ValueError(f"cache_size must be 0 or more, got {cache_size}")
        self._resolver = Resolver(load_lazy_builtins())
        self._cached = lru_cache(maxsize=cache_size)(self._parse_uncached)

    def parse(self, user_agent: str) -> UserAgentInfo:
        return self._cached(user_agent[:MAX_USER_AGENT_LENGTH])

    def cache_info(self) -> _CacheInfo:
        return self._cached.cache_info()

    def _parse_uncached(self, user_agent: str) -> UserAgentInfo:
        found = self._resolver(user_agent, Domain.ALL)
        browser, os, device = found.user_agent, found.os, found.device
        rules = _Classifier(
            user_agent, browser or _OTHER_BROWSER, os or _OTHER_OS, device or _OTHER_DEVICE
        )
        return UserAgentInfo(
            browser_family=_family(browser),
            browser_version=_browser_version(browser),
            os_family=_family(os),
            os_version=_os_version(os),
            device_family=_family(device),
            device_brand=device.brand if device else None,
            device_model=device.model if device else None,
            is_mobile=rules.is_mobile,
            is_tablet=rules.is_tablet,
            is_pc=rules.is_pc,
            is_bot=rules.is_bot,
            is_touch_capable=rules.is_touch_capable,
        )


# What user-agents sees when a domain has no match: family "Other", no version.
_OTHER_BROWSER, _OTHER_OS, _OTHER_DEVICE = UserAgent(), OS(), Device()


class _Classifier(ua_rules.UserAgent):  # type: ignore[misc]  # untyped library
    """user-agents' classification properties over an already-parsed result.

    Deliberately does not call `UserAgent.__init__`: it would parse the string
    a second time through ua-parser's legacy API, which is ~15 times slower.
    """

    def __init__(self, user_agent: str, browser: UserAgent, os: OS, device: Device) -> None:
        self.ua_string = user_agent
        self.browser = ua_rules.parse_browser(
            browser.family, browser.major, browser.minor, browser.patch
        )
        self.os = ua_rules.parse_operating_system(os.family, os.major, os.minor, os.patch)
        self.device = ua_rules.parse_device(device.family, device.brand, device.model)


def _family(match: UserAgent | OS | Device | None) -> str | None:
    return match.family if match else None


def _browser_version(browser: UserAgent | None) -> str | None:
    # Like user-agents, the browser version stops at the patch level.
    if browser is None:
        return None
    return _join_version(browser.major, browser.minor, browser.patch)


def _os_version(os: OS | None) -> str | None:
    if os is None:
        return None
    return _join_version(os.major, os.minor, os.patch, os.patch_minor)


def _join_version(*parts: str | None) -> str | None:
    present: list[str] = []
    for part in parts:
        if part is None:
            break
        present.append(part)
    return ".".join(present) or None
