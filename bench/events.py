"""Deterministic, realistic Segment events (~1 KB each): track/page/identify from web
browsers and mobile apps, with varied user agents, client IPs and product arrays."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

MESSAGE_ID = "@@MID@@"
"""Placeholder the wrk script replaces with a unique ID per request (dedupe stays honest)."""

_CHROME = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.{b}.{p} Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.{b}.{p} Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.{b}.{p} Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.{b}.{p} Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.{b}.{p} Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.{b}.{p} Safari/537.36 Edg/{v}.0.{b}.{p}",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/2{p3}.0 Chrome/{v}.0.{b}.{p} Mobile Safari/537.36",
]
_SAFARI = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{p3} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{p3} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 16_{p3} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/16.{p3} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{p3} Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{p3} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Line/13.{p3}.0",
]
_FIREFOX = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (Android 14; Mobile; rv:{v}.0) Gecko/{v}.0 Firefox/{v}.0",
]
_BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
]
_APP_DEVICES = [
    ("ios", "Apple", "iPhone15,2", "iOS", "17.4"),
    ("ios", "Apple", "iPhone14,5", "iOS", "16.7"),
    ("android", "samsung", "SM-S918B", "Android", "14"),
    ("android", "Google", "Pixel 7", "Android", "13"),
]
_PRODUCTS = [
    ("Linen Shirt", "apparel", "Kanda Works", 4980),
    ("Denim Jacket", "apparel", "Kanda Works", 12800),
    ("Trail Runner 3", "shoes", "Hokuto", 15400),
    ("Canvas Tote", "bags", "Umi", 3200),
    ("Matcha Set", "food", "Uji Kobo", 2600),
    ("Ceramic Mug", "home", "Mashiko", 1800),
    ("Wool Scarf", "accessories", "Umi", 5400),
    ("Rain Shell", "outdoor", "Hokuto", 21000),
]
_PAGES = ["/", "/products", "/products/{slug}", "/cart", "/checkout", "/search", "/sale"]
_TRACK = ["Product Viewed", "Product Added", "Cart Viewed", "Checkout Started",
          "Order Completed", "Products Searched", "Signed Up"]  # fmt: skip
_LOCALES = ["ja-JP", "en-US", "en-GB", "ko-KR", "zh-TW", "de-DE", "fr-FR"]
_ZONES = ["Asia/Tokyo", "America/New_York", "Europe/London", "Asia/Seoul", "Europe/Berlin"]
_BASE_TIME = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


class Generator:
    """All randomness from one seeded RNG, so every run posts the same events."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)

    def user_agent(self) -> str:
        rng = self.rng
        family = rng.choices([_CHROME, _SAFARI, _FIREFOX, _BOTS], [60, 28, 10, 2])[0]
        return rng.choice(family).format(
            v=rng.randint(118, 131), b=rng.randint(5000, 6800), p=rng.randint(50, 200),
            p3=rng.randint(0, 6),
        )  # fmt: skip

    def ip(self) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            groups = [rng.randint(0, 0xFFFF) for _ in range(5)]
            return "2400:" + ":".join(f"{g:x}" for g in groups) + "::1"
        first = rng.choice([1, 14, 27, 36, 49, 60, 101, 106, 110, 126, 153, 180, 203, 210, 220])
        return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def when(self) -> str:
        moment = _BASE_TIME + timedelta(seconds=self.rng.randint(0, 86_400 * 30))
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def product(self) -> dict[str, Any]:
        name, category, brand, price = self.rng.choice(_PRODUCTS)
        slug = name.lower().replace(" ", "-")
        sku = f"{category[:3].upper()}-{self.rng.randint(1000, 9999)}"
        return {
            "product_id": f"p{self.rng.randint(10_000, 99_999)}", "sku": sku, "name": name,
            "brand": brand, "category": category, "price": price,
            "quantity": self.rng.randint(1, 3),
            "url": f"https://shop.example.com/products/{slug}",
        }  # fmt: skip

    def page(self) -> dict[str, Any]:
        rng = self.rng
        path = rng.choice(_PAGES).format(slug=f"item-{rng.randint(100, 999)}")
        search = rng.choice(["", "?utm_source=newsletter&utm_medium=email", "?q=shirt"])
        return {
            "path": path,
            "referrer": rng.choice(["https://www.google.com/", "https://t.co/x", ""]),
            "search": search,
            "title": f"Umi Shop — {path.strip('/') or 'home'}",
            "url": f"https://shop.example.com{path}{search}",
        }

    def context(self, mobile_app: bool) -> dict[str, Any]:
        rng = self.rng
        context: dict[str, Any] = {
            "ip": self.ip(),
            "userAgent": self.user_agent(),
            "locale": rng.choice(_LOCALES),
            "timezone": rng.choice(_ZONES),
            "library": {"name": "analytics.js", "version": "next-1.64.0"},
            "page": self.page(),
            "screen": {"width": rng.choice([390, 412, 1440, 1920]), "height": 844},
        }
        if rng.random() < 0.3:
            context["campaign"] = {"name": "spring_sale", "source": "newsletter",
                                   "medium": "email"}  # fmt: skip
        if rng.random() < 0.25:
            granted = rng.random() < 0.7
            context["consent"] = {"categoryPreferences": {
                "analytics": True, "advertising": granted}}  # fmt: skip
        if mobile_app:
            self._app_context(context)
        return context

    def _app_context(self, context: dict[str, Any]) -> None:
        rng = self.rng
        kind, maker, model, os_name, os_version = rng.choice(_APP_DEVICES)
        context.pop("page")
        context["library"] = {"name": f"analytics-{kind}", "version": "4.1.8"}
        context["app"] = {"name": "Umi Shop", "version": "5.2.0", "build": "520"}
        context["os"] = {"name": os_name, "version": os_version}
        context["device"] = {
            "manufacturer": maker, "model": model, "type": kind,
            "advertisingId": self.uuid(), "adTrackingEnabled": rng.random() < 0.6,
        }  # fmt: skip
        if rng.random() < 0.3:  # mobile SDKs send GPS when the app has the permission
            context["location"] = {"latitude": round(rng.uniform(30, 44), 6),
                                   "longitude": round(rng.uniform(129, 145), 6)}  # fmt: skip

    def base(self, kind: str) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": kind,
            "messageId": MESSAGE_ID,
            "anonymousId": self.uuid(),
            "timestamp": self.when(),
            "context": self.context(mobile_app=self.rng.random() < 0.2),
        }
        if self.rng.random() < 0.4:
            event["userId"] = f"user_{self.rng.randint(1, 50_000)}"
        return event

    def track(self) -> dict[str, Any]:
        event = self.base("track")
        name = self.rng.choice(_TRACK)
        products = [self.product() for _ in range(self.rng.randint(1, 3))]
        properties: dict[str, Any] = {"products": products, "currency": "JPY"}
        if name == "Order Completed":
            properties["order_id"] = f"o-{self.rng.randint(100_000, 999_999)}"
            properties["revenue"] = sum(p["price"] * p["quantity"] for p in products)
        if name == "Products Searched":
            properties["query"] = self.rng.choice(["linen", "rain jacket", "matcha"])
        event.update(event=name, properties=properties)
        return event

    def page_event(self) -> dict[str, Any]:
        event = self.base("page")
        page = event["context"].get("page") or self.page()
        event["name"] = page["title"]
        event["properties"] = {**page, "category": "shop"}
        return event

    def identify(self) -> dict[str, Any]:
        event = self.base("identify")
        number = self.rng.randint(1, 50_000)
        event["userId"] = f"user_{number}"
        event["traits"] = {
            "email": f"Customer.{number}@Example.com ", "firstName": "Hanako",
            "lastName": "Yamada", "plan": self.rng.choice(["free", "plus", "pro"]),
            "createdAt": self.when(), "newsletter": self.rng.random() < 0.5,
        }  # fmt: skip
        return event

    def event(self) -> dict[str, Any]:
        kind = self.rng.choices(["track", "page", "identify"], [60, 30, 10])[0]
        return {"track": self.track, "page": self.page_event, "identify": self.identify}[kind]()


def events(count: int, seed: int = 7) -> list[dict[str, Any]]:
    generator = Generator(seed)
    return [generator.event() for _ in range(count)]


def batches(pool: list[dict[str, Any]], count: int, size: int, seed: int = 11) -> list[bytes]:
    """`count` /v1/batch bodies of `size` events drawn from `pool`."""
    rng = random.Random(seed)
    sent_at = (_BASE_TIME + timedelta(days=31)).isoformat().replace("+00:00", "Z")
    return [
        orjson.dumps({"batch": rng.sample(pool, size), "sentAt": sent_at}) for _ in range(count)
    ]


def sized(target_bytes: int, seed: int = 3) -> dict[str, Any]:
    """One track event grown with products until its JSON is about `target_bytes`."""
    generator = Generator(seed)
    event = generator.track()
    event["messageId"] = generator.uuid()
    products = event["properties"]["products"] = []
    while len(orjson.dumps(event)) < target_bytes:
        products.append(generator.product())
    if len(products) > 1 and len(orjson.dumps(event)) > target_bytes * 1.05:
        products.pop()
    return event
