"""The categories of data the gateway names, in one table.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: the kinds of data the company obtains (device, operating environment, advertising
identifiers, records of what was viewed) and the four it does not collect as a rule (GPS
location, address-book contacts, message content, photos and videos). The configuration
(`policy.forbidden_categories`, `extra_key_names`, a source's `allow_categories`), the
forbidden-data detectors, the provision ledger's data categories, `gateway explain` and the
privacy pages all read this table: adding a category is one entry here (a forbidden one also
needs its detectors under `policy/forbidden/`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    en: str  # how the pages and the notice name it
    ja: str
    forbidden: bool = False
    """Not collected as a rule: removed at the edge, unless a source is allowed the category
    and the event's consent grants the purpose named after it."""
    paths: tuple[str, ...] = ()
    """Event paths holding data of this category (the ledger's data categories: a leaf has
    the category of its longest listed prefix)."""


CATEGORIES: tuple[Category, ...] = (
    Category(
        "identifiers", "Identifiers (user ID, cookie / device ID)",
        "識別子（ユーザーID・Cookie/端末ID）",
        paths=("userId", "anonymousId", "groupId", "previousId", "context.device.id"),
    ),
    Category(
        "advertising_id", "Advertising identifier (IDFA, AAID)", "広告識別子（IDFA・AAID）",
        paths=("context.device.advertisingId",),
    ),
    Category(
        "device", "Device information (model, OS version)",
        "端末を識別する情報（機種・OSバージョン）",
        paths=("context.device", "context.os", "context.screen", "context.app", "context.network"),
    ),
    Category(
        "environment", "Operating environment (browser, OS, language)",
        "利用環境（ブラウザ・OS・言語）",
        paths=("context.userAgent", "context.userAgentData", "context.browser", "context.agent",
               "context.locale", "context.timezone", "context.library"),
    ),
    Category(
        "ip_address", "IP address (shortened)", "IPアドレス（短縮したもの）", paths=("context.ip",)
    ),
    Category(
        "coarse_location", "Approximate area (country, region, city) from the IP address",
        "IPアドレスから推定したおおよその地域（国・地域・市区町村）", paths=("context.geo",),
    ),
    Category(
        "browsing_history", "What you viewed and used (URLs, events, timestamps)",
        "閲覧・利用の記録（URL・イベント・日時）",
        paths=("context.page", "context.campaign", "context.referrer", "event", "name",
               "category", "properties", "timestamp", "originalTimestamp", "sentAt",
               "receivedAt"),
    ),
    Category(
        "profile", "Profile details you gave us", "お客様が登録したプロフィール情報",
        paths=("context.traits", "traits"),
    ),
    Category(
        "consent_choices", "Your consent choices", "同意の設定内容", paths=("context.consent",)
    ),
    Category(
        "location", "Location information", "位置情報", forbidden=True,
        paths=("context.location",),
    ),
    Category("contacts", "Address-book contacts", "電話帳・アドレス帳の情報", forbidden=True),
    Category("message_content", "Message content", "メッセージの内容", forbidden=True),
    Category("media", "Photos and videos", "写真・動画", forbidden=True),
    Category(
        "other", "Other event details named in the configuration",
        "設定で指定されたその他のイベント情報",
    ),
)  # fmt: skip
BY_NAME: Mapping[str, Category] = {category.name: category for category in CATEGORIES}
FORBIDDEN: tuple[str, ...] = tuple(c.name for c in CATEGORIES if c.forbidden)


def labels(language: str) -> dict[str, str]:
    """Each category's name on the pages, in `language` ("en" or "ja")."""
    return {c.name: c.ja if language == "ja" else c.en for c in CATEGORIES}
