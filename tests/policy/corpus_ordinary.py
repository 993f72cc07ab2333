"""Corpora for the forbidden-category scrubber.

ORDINARY: everyday e-commerce and app events that must come out unchanged, with zero removals
(precision). FORBIDDEN: events carrying GPS location, address-book entries, message content or
device photos/videos, each with the exact (path, category) removals expected (recall). Both live
here because the precision figure needs the removals made on both.

Run `python -m tests.policy.corpus_ordinary` to print the figures.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass
from typing import Any

from gateway.policy.forbidden.walk import Scrubber

UA_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
UA_DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
JPEG_B64 = base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(90))).decode()
PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(60))).decode()
HEIC_B64 = base64.b64encode(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + bytes(64)).decode()
MP4_B64 = base64.b64encode(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00" + bytes(64)).decode()
VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Hanako Sato\r\nTEL;TYPE=CELL:090-1234-5678\r\nEND:VCARD"


def web(kind: str = "track", **fields: Any) -> dict[str, Any]:
    """A browser event as analytics.js sends it."""
    event: dict[str, Any] = {
        "type": kind,
        "messageId": "ajs-next-1715000000000-2b1c6f0e-7d3c-4c4e-9a63-1f2e3d4c5b6a",
        "anonymousId": "23adfd82-aa0f-45a7-a756-24f2a7a4c895",
        "timestamp": "2026-05-01T09:30:12.345Z",
        "context": {
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
            "page": {
                "path": "/products/monopoly",
                "referrer": "https://www.google.com/",
                "search": "",
                "title": "Monopoly | Example Shop",
                "url": "https://shop.example.com/products/monopoly",
            },
            "userAgent": UA_DESKTOP,
            "locale": "ja-JP",
            "timezone": "Asia/Tokyo",
            "ip": "203.0.113.0",
        },
    }
    event.update(fields)
    return event


def app(kind: str = "track", **fields: Any) -> dict[str, Any]:
    """A mobile event as analytics-ios / analytics-android send it."""
    event: dict[str, Any] = {
        "type": kind,
        "messageId": "5E2B1B0C-3D4F-4A8E-9C1B-7F6A5D4C3B2A",
        "anonymousId": "9C6E4F2A-1B3D-4E5F-8A7B-6C5D4E3F2A1B",
        "timestamp": "2026-05-01T09:30:12.345Z",
        "context": {
            "app": {
                "name": "Example",
                "version": "5.2.1",
                "build": "5210",
                "namespace": "jp.example",
            },
            "device": {
                "id": "B5372DB0-C21E-11E4-8DFC-AA07A5B093DB",
                "manufacturer": "Apple",
                "model": "iPhone15,2",
                "type": "ios",
                "adTrackingEnabled": False,
            },
            "os": {"name": "iOS", "version": "17.4.1"},
            "network": {
                "wifi": True,
                "cellular": False,
                "carrier": "NTT DOCOMO",
                "bluetooth": False,
            },
            "screen": {"width": 390, "height": 844, "density": 3},
            "library": {"name": "analytics-ios", "version": "4.1.8"},
            "locale": "ja-JP",
            "timezone": "Asia/Tokyo",
            "userAgent": UA_IPHONE,
            "geo": {"country": "JP", "subdivision": "13", "city": "Tokyo"},
        },
    }
    event.update(fields)
    return event


def product(index: int = 1, **extra: Any) -> dict[str, Any]:
    item = {
        "product_id": f"507f1f77bcf86cd79943901{index}",
        "sku": f"G-3{index}",
        "category": "Games",
        "name": "Monopoly: 3rd Edition",
        "brand": "Hasbro",
        "variant": "200 pieces",
        "price": 18.99,
        "quantity": 1,
        "coupon": "MAYDEALS",
        "position": index,
        "url": f"https://www.example.com/product/path{index}",
        "image_url": f"https://www.example.com/product/path{index}.jpg",
    }
    item.update(extra)
    return item


def track(name: str, properties: dict[str, Any], maker: Any = web) -> dict[str, Any]:
    event: dict[str, Any] = maker("track", event=name, properties=properties)
    return event


def page(url: str, referrer: str = "https://www.google.com/", **properties: Any) -> dict[str, Any]:
    event = web("page", name=properties.pop("name", "Home"), properties=properties)
    path, _, search = url.partition("?")
    event["context"]["page"].update(
        url=url,
        referrer=referrer,
        search="?" + search if search else "",
        path=path[path.find("/", 8) :],
    )
    return event


ORDER = {
    "checkout_id": "fksdjfsdjfisjf9sdfjsd9f",
    "order_id": "50314b8e9bcf000000000000",
    "affiliation": "Google Store",
    "total": 27.5,
    "subtotal": 22.5,
    "revenue": 25.0,
    "shipping": 3,
    "tax": 2,
    "discount": 2.5,
    "coupon": "hasbros",
    "currency": "JPY",
    "products": [product(1), product(2, price=3, quantity=2, name="Uno Card Game")],
}

ORDINARY: list[tuple[str, dict[str, Any]]] = [
    ("product viewed", track("Product Viewed", product(1, currency="JPY", value=18.99))),
    ("product clicked", track("Product Clicked", product(3))),
    ("product added", track("Product Added", {**product(1), "cart_id": "skdjsidjsdkdj29j"})),
    ("product removed", track("Product Removed", {**product(2), "cart_id": "ksjdj92dj29dj92d2j"})),
    (
        "product list viewed",
        track(
            "Product List Viewed",
            {
                "list_id": "hot_deals_1",
                "category": "Deals",
                "products": [product(i) for i in range(1, 6)],
            },
        ),
    ),
    (
        "product list filtered",
        track(
            "Product List Filtered",
            {
                "list_id": "todays_deals",
                "filters": [{"type": "department", "value": "beauty"}],
                "sorts": [{"type": "price", "value": "desc"}],
                "products": [product(1)],
            },
        ),
    ),
    (
        "cart viewed",
        track(
            "Cart Viewed",
            {"cart_id": "d92jd29jd92jd29j92d92jd", "products": [product(1), product(2)]},
        ),
    ),
    ("checkout started", track("Checkout Started", ORDER)),
    (
        "checkout step viewed",
        track(
            "Checkout Step Viewed",
            {
                "checkout_id": "50314b8e9bcf000000000000",
                "step": 2,
                "shipping_method": "Fedex",
                "payment_method": "Visa",
            },
        ),
    ),
    (
        "checkout step completed",
        track(
            "Checkout Step Completed",
            {"checkout_id": "50314b8e9bcf000000000000", "step": 2, "shipping_method": "Fedex"},
        ),
    ),
    (
        "payment info entered",
        track(
            "Payment Info Entered",
            {
                "checkout_id": "39f39fj39f3jf93fj9fj39fj3f",
                "order_id": "dkfsjidfjsdifsdfksdjfkdsfjsdfkdsf",
                "payment_method": "credit_card",
            },
        ),
    ),
    ("order completed", track("Order Completed", ORDER)),
    (
        "order refunded",
        track(
            "Order Refunded",
            {"order_id": "50314b8e9bcf000000000000", "total": 30, "currency": "JPY"},
        ),
    ),
    (
        "coupon applied",
        track(
            "Coupon Applied",
            {
                "order_id": "50314b8e",
                "cart_id": "923923929jd29jd92dj9j93fj3",
                "coupon_id": "may_deals_2016",
                "coupon_name": "May Deals 2016",
                "discount": 23.32,
            },
        ),
    ),
    (
        "promotion viewed",
        track(
            "Promotion Viewed",
            {
                "promotion_id": "promo_1",
                "creative": "top_banner_2",
                "name": "75% store-wide shoe sale",
                "position": "home_banner_top",
            },
        ),
    ),
    (
        "promotion clicked",
        track(
            "Promotion Clicked",
            {
                "promotion_id": "promo_1",
                "creative": "top_banner_2",
                "name": "75% store-wide shoe sale",
                "position": "home_banner_top",
            },
        ),
    ),
    ("products searched", track("Products Searched", {"query": "blue hotpants"})),
    (
        "products searched ja",
        track("Products Searched", {"query": "小学生 ドリル 算数", "results": 42}),
    ),
    (
        "wishlist",
        track(
            "Product Added to Wishlist",
            {**product(1), "wishlist_id": "skdjsidjsdkdj29j", "wishlist_name": "Loved Games"},
        ),
    ),
    (
        "product reviewed",
        track(
            "Product Reviewed",
            {
                "product_id": "507f1f77bcf86cd799439011",
                "review_id": "kdfjrj39fj39jf3",
                "review_body": "I love this product",
                "rating": "5",
            },
        ),
    ),
    ("screen home", app("screen", name="Home", properties={"variation": "blue signup button"})),
    (
        "screen lesson",
        app(
            "screen",
            name="レッスン",
            properties={"course": "算数", "unit": 3, "video_duration": 320, "has_photo": False},
        ),
    ),
    (
        "application opened",
        track(
            "Application Opened",
            {"from_background": False, "version": "5.2.1", "url": "jp.example://home"},
            app,
        ),
    ),
    (
        "application installed",
        track("Application Installed", {"version": "5.2.1", "build": "5210"}, app),
    ),
    (
        "deep link opened",
        track(
            "Deep Link Opened",
            {"provider": "Branch Metrics", "url": "https://example.app.link/abc?utm_source=line"},
            app,
        ),
    ),
    (
        "push received",
        track(
            "Push Notification Received",
            {
                "campaign": {
                    "medium": "Push",
                    "source": "Vendor",
                    "name": "Referral",
                    "content": "Your friend invited you.",
                }
            },
            app,
        ),
    ),
    (
        "install attributed",
        track(
            "Install Attributed",
            {
                "provider": "AppsFlyer",
                "media_source": "googleadwords_int",
                "campaign": {"source": "google", "name": "spring"},
            },
            app,
        ),
    ),
    ("signed in", track("Signed In", {"username": "hanako", "method": "password"})),
    (
        "signed up",
        track(
            "Signed Up",
            {
                "type": "organic",
                "first_name": "Hanako",
                "last_name": "Sato",
                "email": "hanako@example.com",
                "plan": "premium",
            },
        ),
    ),
    (
        "identify",
        web(
            "identify",
            userId="97980cfea0067",
            traits={
                "name": "Peter Gibbons",
                "email": "peter@example.com",
                "plan": "premium",
                "logins": 5,
                "address": {
                    "street": "6th St",
                    "city": "San Francisco",
                    "state": "CA",
                    "postalCode": "94103",
                    "country": "USA",
                },
            },
        ),
    ),
    (
        "identify ja",
        app(
            "identify",
            userId="u-1029",
            traits={
                "name": "佐藤 花子",
                "email": "hanako@example.jp",
                "phone": "090-1234-5678",
                "plan": "スタンダード",
                "birthday": "2015-04-01",
                "grade": 3,
            },
        ),
    ),
    (
        "group",
        web(
            "group",
            groupId="0e8c78ea9d97a7b8185e8632",
            traits={
                "name": "Initech",
                "industry": "Technology",
                "employees": 329,
                "plan": "enterprise",
                "total billed": 830,
            },
        ),
    ),
    ("alias", web("alias", previousId="39239-239239-239239-23923", userId="507f191e81")),
    (
        "page utm gclid",
        page(
            "https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=spring"
            "&utm_term=board%20games&utm_content=textlink&gclid=EAIaIQobChMIw9n-lPe8hgMV"
        ),
    ),
    (
        "page fbclid",
        page(
            "https://shop.example.com/sale?fbclid=IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMs",
            referrer="https://l.facebook.com/",
        ),
    ),
    ("page hash route", page("https://app.example.com/#/lessons/12?tab=video&sort=new")),
    (
        "page search results",
        page(
            "https://shop.example.com/search?q=%E7%AE%97%E6%95%B0+%E3%83%89%E3%83%AA%E3%83%AB&page=2",
            name="Search",
        ),
    ),
    (
        "page store finder",
        page(
            "https://shop.example.com/stores?prefecture=13&city=shibuya",
            name="Stores",
            location="Shibuya",
        ),
    ),
    (
        "video playback",
        track(
            "Video Playback Started",
            {
                "session_id": "12345",
                "content_asset_ids": ["0129370"],
                "position": 0,
                "total_length": 392,
                "bitrate": 100,
                "framerate": 29.0,
                "video_player": "youtube",
                "sound": 88,
                "full_screen": False,
                "ad_enabled": True,
                "quality": "hd1080",
                "livestream": False,
            },
        ),
    ),
    (
        "video content",
        track(
            "Video Content Started",
            {
                "session_id": "12345",
                "asset_id": "0129370",
                "title": "Seasonal Forests",
                "position": 10,
                "description": "David Attenborough reveals the greatest woodlands on earth.",
                "keywords": ["nature", "forests", "earth"],
                "is_video": True,
            },
        ),
    ),
    (
        "email opened",
        track(
            "Email Opened",
            {
                "email_id": "18vzF7u3z",
                "email_subject": "Welcome!",
                "campaign_id": "123",
                "campaign_name": "Onboarding",
            },
        ),
    ),
    (
        "counts and flags",
        track(
            "Inbox Viewed",
            {
                "message_count": 12,
                "messageCount": 12,
                "unread_messages": 3,
                "photo_count": 4,
                "num_contacts": 0,
                "hasPhoto": True,
                "contact_form_submitted": True,
                "contactFormSubmitted": False,
                "message_id": "m-1",
                "chat_id": "c-9",
                "photos": 3,
                "location_permission": "denied",
                "gps_enabled": False,
                "contacts": "denied",
            },
            app,
        ),
    ),
    (
        "contact form",
        track(
            "Contact Form Submitted",
            {
                "form_id": "support",
                "topic": "billing",
                "contact_method": "email",
                "contact_email": "a@example.com",
            },
        ),
    ),
    (
        "chat opened",
        track(
            "Chat Opened",
            {
                "chat_id": "c-9",
                "agent_available": True,
                "error_message": "none",
                "chat_opened": True,
            },
            app,
        ),
    ),
    (
        "photo uploaded meta",
        track(
            "Profile Photo Updated",
            {
                "photo_size": 204800,
                "photo_type": "image/jpeg",
                "image_url": "https://cdn.example.com/u/1.jpg",
                "imageUrl": "https://cdn.example.com/u/1@2x.jpg",
                "photo_source": "camera",
            },
            app,
        ),
    ),
    (
        "japanese keys",
        track(
            "商品購入",
            {
                "商品名": "算数ドリル",
                "価格": 1200,
                "数量": 2,
                "カテゴリ": "教材",
                "メッセージ数": 5,
                "写真枚数": 2,
                "位置情報許可": False,
                "画像URL": "https://cdn.example.com/d.png",
                "エラーメッセージ": "在庫切れ",
            },
        ),
    ),
    (
        "numbers",
        track(
            "Experiment Viewed",
            {
                "experiment_id": "exp-7",
                "variation": "B",
                "scores": [0.953, 0.874],
                "size": [2, 3],
                "dimensions": [12.5, 30.25],
                "rate": 109.123,
                "ratio": [1.5, 2.25],
                "version": "10.15.7",
            },
        ),
    ),
    (
        "timestamps and ids",
        track(
            "Lesson Completed",
            {
                "lesson_id": "L-2026-05-01",
                "started_at": "2026-05-01T09:00:00.000Z",
                "ended_at": "2026-05-01T09:30:12.345+09:00",
                "score": 92.5,
                "attempt": 2,
                "token_hint": "AAAAB3NzaC1yc2E",
                "jwt_kind": "eyJhbGciOiJIUzI1NiJ9",
            },
            app,
        ),
    ),
    (
        "context geo trusted",
        app("track", event="Map Opened", properties={"region": "Kanto", "place_category": "cafe"}),
    ),
    (
        "search with city",
        track(
            "Stores Searched", {"query": "Shibuya", "location": "Tokyo", "geo": "JP", "position": 2}
        ),
    ),
    (
        "stringified params",
        track(
            "add_to_cart",
            {"items": '[{"item_id": "SKU_1", "price": 18.99, "quantity": 2}]', "value": "37.98"},
            app,
        ),
    ),
    # Look-alikes of the notations and records the detectors learnt after the review.
    (
        "zero-padded ids beside names",
        track(
            "Order Completed",
            {"products": [product(1, product_id="000000050000"), product(2, sku="0000303900")]},
        ),
    ),
    (
        "screen positions and scores",
        track(
            "Heatmap Click",
            {
                "click_position": {"x": 56.78125, "y": 42.890625},
                "touch_point": [12.3456, 45.6789],
                "scores": "82.1234, 91.5678",
                "laps": "65.1234, 66.2345",
                "progress": [45.123, 78.456],
                "segment": [12.345, 67.891],
            },
        ),
    ),
    (
        "campaign texts in message-named events",
        track(
            "Push Notification Received",
            {"campaign": {"name": "spring", "medium": "push", "content": "Invite a friend"}},
            app,
        ),
    ),
    (
        "email campaign",
        track("Email Delivered", {"email_subject": "新学期のお知らせ", "preview_text": "20% off"}),
    ),
    (
        "lesson transcript and descriptions",
        track(
            "Lesson Viewed",
            {
                "lesson": {"transcript": [{"start": 1.5, "text": "Today: fractions"}]},
                "room": {"type": "twin", "description": "Ocean view"},
                "books": [
                    {"title": "Kokoro", "author": "Natsume Soseki", "description": "A novel"},
                    {"title": "Rashomon", "author": "Akutagawa", "description": "Stories"},
                ],
            },
            app,
        ),
    ),
    (
        "media names, captions, flags and metadata",
        track(
            "Banner Shown",
            {
                "banner": {"id": "b-1", "image": "spring_banner.jpg"},
                "video": "math-3-unit2-intro",
                "photo": "Photo by Taro Yamada",
                "画像": "なし",
                "message": {"id": "m-99", "type": "sticker", "length": 12},
                "support_chat": "offline",
                "preferred_contact": "email",
            },
            app,
        ),
    ),
    (
        "hotlines and own addresses",
        track(
            "Help Viewed",
            {
                "hotlines": ["0120-924-721", "0120-700-779", "03-5860-7565"],
                "addresses": {
                    "billing": {"name": "Hanako", "phone": "090-1234-5678"},
                    "shipping": {"name": "Hanako", "phone": "090-1234-5678"},
                },
            },
        ),
    ),
    (
        "tokens and reprs",
        track(
            "Signed In",
            {
                "session_hint": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
                "debug": "{'step': 2, 'ok': True}",
                "build": "5.2.1+20260501",
                "support": "mailto:support@example.com?subject=Order%205031",
            },
        ),
    ),
]


@dataclass(frozen=True)
class Case:
    name: str
    event: dict[str, Any]
    expected: frozenset[tuple[str, str]]  # (path, category)


def case(name: str, event: dict[str, Any], *expected: tuple[str, str]) -> Case:
    return Case(name, event, frozenset(expected))


L, C, M, P = "location", "contacts", "message_content", "media"


def located(event: dict[str, Any]) -> dict[str, Any]:
    event["context"]["location"] = {"latitude": 35.6812, "longitude": 139.7671, "speed": 0}
    return event


def nested(depth: int, leaf: dict[str, Any]) -> dict[str, Any]:
    node = leaf
    for level in reversed(range(depth)):
        node = {f"level{level}": node}
    return node


FORBIDDEN: list[Case] = [
    case(
        "context.location", located(track("Application Opened", {}, app)), ("context.location", L)
    ),
    case(
        "gps keys",
        track("Run", {"gpsLatitude": 35.6812, "gps_longitude": 139.7671}, app),
        ("properties.gpsLatitude", L),
        ("properties.gps_longitude", L),
    ),
    case(
        "lat/lng object",
        track("Shop", {"store": {"lat": 35.6812, "lng": 139.7671, "name": "A"}}),
        ("properties.store.lat", L),
        ("properties.store.lng", L),
    ),
    case(
        "lat/long beside",
        track("Shop", {"where": {"lat": "35.6812", "long": "139.7671"}}),
        ("properties.where.lat", L),
        ("properties.where.long", L),
    ),
    case("coords array", track("Shop", {"coords": [35.6812, 139.7671]}), ("properties.coords", L)),
    case(
        "GeoJSON pair under position",
        track("Shop", {"position": [139.7671, 35.6812]}),
        ("properties.position", L),
    ),
    case("coordinate string", track("Note", {"note": "35.6812, 139.7671"}), ("properties.note", L)),
    case("geo URI", track("Share", {"link": "geo:35.6812,139.7671?z=15"}), ("properties.link", L)),
    case(
        "DMS",
        track("Photo Meta", {"exif_pos": "35°40'52.3\"N 139°46'01.6\"E"}),
        ("properties.exif_pos", L),
    ),
    case(
        "URL lat/lng",
        page("https://shop.example.com/stores?lat=35.6812&lng=139.7671&sort=near"),
        ("context.page.url?lat", L),
        ("context.page.url?lng", L),
        ("context.page.search?lat", L),
        ("context.page.search?lng", L),
    ),
    case(
        "maps referrer",
        page(
            "https://shop.example.com/",
            referrer="https://www.google.com/maps/@35.6812,139.7671,15z",
        ),
        ("context.page.referrer", L),
    ),
    case(
        "Japanese location",
        track("現在地取得", {"現在地": {"緯度": 35.6812, "経度": 139.7671}}, app),
        ("properties.現在地", L),
    ),
    case(
        "位置情報 string",
        track("位置", {"位置情報": "東京都千代田区丸の内1丁目"}, app),
        ("properties.位置情報", L),
    ),
    case("geohash", track("Near", {"location": "xn76urx4"}), ("properties.location", L)),
    case(
        "current_location",
        track("Near", {"current_location": "Marunouchi 1-9"}),
        ("properties.current_location", L),
    ),
    case(
        "contacts list",
        track("Invite", {"contacts": [{"name": "Taro", "phone": "080-1111-2222"}]}, app),
        ("properties.contacts", C),
    ),
    case(
        "addressBook",
        track("Sync", {"addressBook": {"entries": 2, "data": "..."}}, app),
        ("properties.addressBook", C),
    ),
    case(
        "phonebookEntries",
        track("Sync", {"phonebookEntries": ["Taro 080-1111-2222"]}, app),
        ("properties.phonebookEntries", C),
    ),
    case(
        "連絡先",
        track("招待", {"連絡先": [{"名前": "太郎", "電話": "080-1111-2222"}]}, app),
        ("properties.連絡先", C),
    ),
    case("電話帳", track("同期", {"電話帳": "太郎,080-1111-2222"}, app), ("properties.電話帳", C)),
    case("vCard", track("Share", {"payload": VCARD}), ("properties.payload", C)),
    case(
        "contacts URI",
        track("Pick", {"picked": "content://com.android.contacts/contacts/lookup/0r1-2"}, app),
        ("properties.picked", C),
    ),
    case(
        "messageBody",
        track("Message Sent", {"messageBody": "See you at 7", "message_id": "m1"}, app),
        ("properties.messageBody", M),
    ),
    case(
        "chat_messages",
        track("Chat", {"chat_messages": [{"from": "a", "text": "hi"}]}, app),
        ("properties.chat_messages", M),
    ),
    case("smsText", track("SMS", {"smsText": "Your code is 1234"}, app), ("properties.smsText", M)),
    case(
        "email_body", track("Mail", {"email_body": "Dear Taro, ..."}), ("properties.email_body", M)
    ),
    case(
        "direct message",
        track("DM", {"direct_message": "Call me"}, app),
        ("properties.direct_message", M),
    ),
    case(
        "メッセージ本文",
        track("送信", {"メッセージ本文": "明日よろしく"}, app),
        ("properties.メッセージ本文", M),
    ),
    case("トーク", track("送信", {"トーク": ["おはよう", "了解"]}, app), ("properties.トーク", M)),
    case("SMS URI", track("Read", {"ref": "content://sms/inbox/42"}, app), ("properties.ref", M)),
    case(
        "photos base64",
        track("Upload", {"photos": [JPEG_B64, PNG_B64]}, app),
        ("properties.photos", P),
    ),
    case(
        "videoFile path",
        track("Upload", {"videoFile": "/storage/emulated/0/DCIM/Camera/VID_1.mp4"}, app),
        ("properties.videoFile", P),
    ),
    case(
        "attachments",
        track("Send", {"attachments": [{"name": "a.jpg", "bytes": 1024}]}, app),
        ("properties.attachments", P),
    ),
    case(
        "data URI",
        track("Avatar", {"avatar": "data:image/jpeg;base64," + JPEG_B64}),
        ("properties.avatar", P),
    ),
    case("jpeg under blob", track("Debug", {"blob": JPEG_B64}), ("properties.blob", P)),
    case("heic under upload", track("Debug", {"upload": HEIC_B64}, app), ("properties.upload", P)),
    case(
        "mp4 in array",
        track("Debug", {"files": ["ok.txt", MP4_B64]}, app),
        ("properties.files[1]", P),
    ),
    case(
        "ph://",
        track("Pick", {"asset": "ph://F2A9B3C1-0D4E-4F5A-8B6C-7D8E9F0A1B2C/L0/001"}, app),
        ("properties.asset", P),
    ),
    case(
        "assets-library",
        track("Pick", {"asset": "assets-library://asset/asset.JPG?id=1&ext=JPG"}, app),
        ("properties.asset", P),
    ),
    case(
        "file URL",
        track("Pick", {"src": "file:///var/mobile/Media/DCIM/100APPLE/IMG_0001.HEIC"}, app),
        ("properties.src", P),
    ),
    case(
        "MediaStore URI",
        track("Pick", {"uri": "content://media/external/images/media/1234"}, app),
        ("properties.uri", P),
    ),
    case(
        "写真 and 動画",
        track("投稿", {"写真": JPEG_B64, "動画": "/DCIM/Camera/VID.mp4"}, app),
        ("properties.写真", P),
        ("properties.動画", P),
    ),
    case(
        "添付ファイル",
        track("送信", {"添付ファイル": [{"名前": "a.png"}]}, app),
        ("properties.添付ファイル", P),
    ),
    case("screenshot", track("Report", {"screenshot": PNG_B64}, app), ("properties.screenshot", P)),
    case(
        "array of items",
        track("Order", {"items": [product(1), product(2, photo="IMG_0001.JPG")]}),
        ("properties.items[1].photo", P),
    ),
    case(
        "deep nesting",
        track("Deep", nested(12, {"lat": 35.6812, "ok": 1})),
        ("properties." + ".".join(f"level{i}" for i in range(12)) + ".lat", L),
    ),
    case(
        "data URI in URL",
        page("https://shop.example.com/x?img=data%3Aimage%2Fpng%3Bbase64%2CiVBORw0KGgo&ok=1"),
        ("context.page.url?img", P),
        ("context.page.search?img", P),
    ),
    case(
        "hash-route params",
        track("Map", {"href": "https://app.example.com/#/map?lat=35.6812&lng=139.7671"}),
        ("properties.href#lat", L),
        ("properties.href#lng", L),
    ),
    case(
        "traits contacts",
        app("identify", userId="u1", traits={"name": "Hanako", "contact_list": ["Taro"]}),
        ("traits.contact_list", C),
    ),
    case(
        "stringified params",
        track("share", {"params": '{"method": "line", "gps": {"lat": 35.6812}}'}, app),
        ("properties.params", L),
    ),
    # Notations and records the detectors learnt after the review.
    case(
        "axes under a place",
        track("Map Moved", {"fix": {"x": 139.745433, "y": 35.658581, "acc": 5}}, app),
        ("properties.fix.x", L),
        ("properties.fix.y", L),
    ),
    case(
        "positions in text",
        track(
            "Debug",
            {
                "nmea": "$GPGGA,093012.00,3539.51486,N,13944.72598,E,1,08,0.9,40.2,M",
                "note": "Meet at 8Q7XJPR2+FG",
                "memo": "３５．６５８５８１，１３９．７４５４３３",
                "payload": "{'lat': 35.658581, 'lng': 139.745433}",
                "ok": "fine",
            },
            app,
        ),
        ("properties.nmea", L),
        ("properties.note", L),
        ("properties.memo", L),
        ("properties.payload", L),
    ),
    case(
        "map links",
        page("https://www.google.com/maps/@35.658581%2C139.745433%2C17z"),
        ("context.page.url", L),
        ("context.page.path", L),
    ),
    case(
        "a conversation",
        track(
            "Support Chat Closed",
            {
                "conversation_id": "123",
                "conversation_parts": [{"part_type": "comment", "body": "<p>See you</p>"}],
                "ticket": {"subject": "Refund", "description": "Charged twice"},
            },
        ),
        ("properties.conversation_parts[0].body", M),
        ("properties.ticket.description", M),
    ),
    case(
        "chat turns and messaging links",
        track(
            "Assistant Used",
            {
                "history": [{"role": "user", "content": "My son has a fever"}],
                "share": "sms:+819012345678?&body=See%20you",
                "link": "https://wa.me/819012345678?text=See%20you&src=app",
            },
            app,
        ),
        ("properties.history[0]", M),
        ("properties.share", M),
        ("properties.link?text", M),
    ),
    case(
        "a contact picked, by id, by value",
        track(
            "Contacts Used",
            {
                "picked": {
                    "givenName": "Taro",
                    "phoneNumbers": [{"label": "_$!<Mobile>!$_", "value": "090-1111-2222"}],
                },
                "friends": {
                    "c1": {"name": "Taro", "phone": "090-1111-2222"},
                    "c2": {"name": "Jiro", "phone": "080-3333-4444"},
                },
                "rows": [
                    {"display_name": "Taro", "data1": "090-1111-2222"},
                    {"display_name": "Jiro", "data1": "080-3333-4444"},
                ],
                "invitees": "090-1111-2222,080-3333-4444,070-5555-6666",
            },
            app,
        ),
        ("properties.picked", C),
        ("properties.friends", C),
        ("properties.rows", C),
        ("properties.invitees", C),
    ),
    case(
        "media in other encodings",
        track(
            "Upload",
            {
                "src": "image/jpeg;base64," + JPEG_B64,
                "head": "0x" + base64.b64decode(JPEG_B64).hex(),
                "asset": "F2A9B3C1-0D4E-4F5A-8B6C-7D8E9F0A1B2C/L0/001",
                "bytes_": [b - 256 if b > 127 else b for b in base64.b64decode(JPEG_B64)[:20]],
            },
            app,
        ),
        ("properties.src", P),
        ("properties.head", P),
        ("properties.asset", P),
        ("properties.bytes_", P),
    ),
]


@dataclass(frozen=True)
class Figures:
    ordinary_unchanged: int
    ordinary_total: int
    expected: int
    found: int
    removed: int  # every removal on both corpora

    @property
    def recall(self) -> float:
        return self.found / self.expected

    @property
    def precision(self) -> float:
        return self.found / self.removed if self.removed else 1.0

    def __str__(self) -> str:
        return (
            f"recall {self.found}/{self.expected} = {self.recall:.3f}; "
            f"precision {self.found}/{self.removed} = {self.precision:.3f}; "
            f"ordinary events unchanged {self.ordinary_unchanged}/{self.ordinary_total}"
        )


def measure(scrubber: Scrubber) -> Figures:
    unchanged, false_removals = 0, 0
    for _, event in ORDINARY:
        scrubbed = copy.deepcopy(event)
        removals = scrubber.scrub(scrubbed)
        false_removals += len(removals)
        unchanged += scrubbed == event and not removals
    expected = found = removed = 0
    for item in FORBIDDEN:
        got = {(r.path, r.category) for r in scrubber.scrub(copy.deepcopy(item.event))}
        expected += len(item.expected)
        found += len(got & item.expected)
        removed += len(got)
    return Figures(unchanged, len(ORDINARY), expected, found, removed + false_removals)


if __name__ == "__main__":
    print(measure(Scrubber(sensitive_query_params=["token", "password", "email"])))
