"""Forbidden categories: one table per detector, then the walk, `allowed`, trusted paths,
configuration, the Removal report, the corpora and the time budget."""

from __future__ import annotations

import copy
import inspect
import json
import sys
from typing import Any

import orjson
import pytest

from gateway.policy.forbidden.keys import CACHE_SIZE, KeyClassifier
from gateway.policy.forbidden.sweep import Sweeper
from gateway.policy.forbidden.walk import (
    FORBIDDEN_CATEGORIES,
    MAX_DEPTH,
    NestingTooDeepError,
    Removal,
    Scrubber,
)
from tests.conftest import testdata as shared_testdata
from tests.policy.corpus_ordinary import (
    FORBIDDEN,
    HEIC_B64,
    JPEG_B64,
    MP4_B64,
    ORDINARY,
    PNG_B64,
    UA_IPHONE,
    VCARD,
    Case,
    measure,
)

L, C, M, P = "location", "contacts", "message_content", "media"


@pytest.fixture
def scrubber() -> Scrubber:
    return Scrubber(sensitive_query_params=["token", "Email"])


def scrub_properties(
    scrubber: Scrubber, properties: dict[str, Any], allowed: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], list[Removal]]:
    event = {"type": "track", "event": "Test", "properties": copy.deepcopy(properties)}
    removals = scrubber.scrub(event, allowed)
    return event["properties"], removals


def test_interface_constants() -> None:
    assert FORBIDDEN_CATEGORIES == ("location", "contacts", "message_content", "media")


# --- 2. key names ---------------------------------------------------------------------------

REMOVED_BY_KEY = [
    ("gpsLatitude", 35.6812, L),
    ("gps_latitude", 35.6812, L),
    ("GPS-Latitude", 35.6812, L),
    ("GPSLatitude", 35.6812, L),
    ("gps latitude", 35.6812, L),
    ("gpslatitude", 35.6812, L),
    ("lat", 35.6812, L),
    ("lng", 139.7671, L),
    ("lon", 139.7671, L),
    ("latitude", 35, L),
    ("longitude", "139.7671", L),
    ("coords", [35.6, 139.7], L),
    ("coordinates", {"x": 1}, L),
    ("geolocation", {"accuracy": 5}, L),
    ("gps", "35.6,139.7", L),
    ("altitude", 40.5, L),
    ("latLng", "35.6,139.7", L),
    ("geo_point", "u4pruydqqvj", L),
    ("geoHash", "xn76u", L),
    ("current_location", "Marunouchi", L),
    ("gpsLocation", "x", L),
    ("location_data", [1], L),
    ("userPosition", "here", L),
    ("緯度", 35.6812, L),
    ("経度", 139.7671, L),
    ("位置情報", {"a": 1}, L),
    ("現在地", "丸の内", L),
    ("座標", [1.5, 2.5], L),
    ("現在地の緯度", 35.6, L),
    ("ＧＰＳ", 1.5, L),
    ("contacts", [{"name": "Taro"}], C),
    ("contact", {"tel": "080"}, C),
    ("contact_list", ["Taro"], C),
    ("contactList", ["Taro"], C),
    ("addressBook", {"a": 1}, C),
    ("address_book", "x", C),
    ("phoneBook", "x", C),
    ("phone-book", "x", C),
    ("phonebookEntries", ["x"], C),
    ("contactsData", "x", C),
    ("vcard", "x", C),
    ("住所録", ["x"], C),
    ("アドレス帳", ["x"], C),
    ("電話帳", "x", C),
    ("連絡先", [{"名前": "太郎"}], C),
    ("連絡先一覧", ["x"], C),
    ("messageBody", "See you", M),
    ("message_body", "See you", M),
    ("message", "See you", M),
    ("messages", [{"text": "hi"}], M),
    ("chat_messages", ["hi"], M),
    ("chatMessages", ["hi"], M),
    ("chat", ["hi"], M),
    ("smsText", "code 1234", M),
    ("sms_body", "x", M),
    ("sms", "x", M),
    ("dm", "x", M),
    ("direct_message", "x", M),
    ("emailBody", "Dear", M),
    ("email_text", "x", M),
    ("mail_content", "x", M),
    ("unread_messages", ["hi"], M),
    ("share_message", "Look!", M),
    ("conversation", [{"t": "x"}], M),
    ("textMessage", "x", M),
    ("メッセージ", "こんにちは", M),
    ("メッセージ本文", "x", M),
    ("本文", "x", M),
    ("チャット", ["x"], M),
    ("トーク", ["x"], M),
    ("トーク履歴", ["x"], M),
    ("メール本文", "x", M),
    ("photos", ["IMG_0001.JPG"], P),
    ("photo", "IMG_0001.JPG", P),
    ("videoFile", "VID.mp4", P),
    ("video_file", "x", P),
    ("attachments", [{"name": "a.jpg"}], P),
    ("attachment", "x", P),
    ("image", "IMG_0001.HEIC", P),
    ("image", "PXL_20260501_093012345.jpg", P),
    ("images", ["a", "b"], P),
    ("picture", "x", P),
    ("selfie", "x", P),
    ("screenshot", "x", P),
    ("cameraRoll", ["x"], P),
    ("mediaFiles", ["x"], P),
    ("photoData", "x", P),
    ("imageBase64", "x", P),
    ("photo", {"w": 1}, P),
    ("photo", {"data": "x" * 400, "url": "https://a.example/b.jpg"}, P),
    ("photos", [{"filename": "IMG_1.JPG", "size": 1024}], P),
    ("写真", "x", P),
    ("画像", "x", P),
    ("動画", "x", P),
    ("添付", "x", P),
    ("添付ファイル", ["x"], P),
    ("カメラロール", ["x"], P),
    ("写真データ", "x", P),
]


@pytest.mark.parametrize(("key", "value", "category"), REMOVED_BY_KEY, ids=lambda v: str(v))
def test_key_name_removes_value(scrubber: Scrubber, key: str, value: Any, category: str) -> None:
    properties, removals = scrub_properties(scrubber, {key: value, "keep": "kept"})
    assert properties == {"keep": "kept"}
    assert removals == [Removal(f"properties.{key}", category, "key_name")]


KEPT_BY_KEY = [
    ("message_count", 3),
    ("messageCount", 3),
    ("has_photo", True),
    ("hasPhoto", False),
    ("is_video", True),
    ("contact_form_submitted", True),
    ("contactFormSubmitted", True),
    ("photo_count", 2),
    ("num_contacts", 10),
    ("unread_messages", 4),
    ("video_duration", 320),
    ("image_url", "https://cdn.example.com/p/1.jpg"),
    ("imageUrl", "https://cdn.example.com/1.jpg"),
    ("message_id", "ajs-1"),
    ("messageId", "ajs-1"),
    ("locale", "ja-JP"),
    ("timezone", "Asia/Tokyo"),
    ("photos", 3),
    ("contacts", "denied"),
    ("contacts", True),
    ("location", "Tokyo"),
    ("location", "home_banner"),
    ("geo", "JP"),
    ("position", 3),
    ("position", "top"),
    ("video_player", "youtube"),
    ("chat_id", "c-1"),
    ("error_message", "Payment declined"),
    ("errorMessage", "x"),
    ("status_message", "ok"),
    ("contact_email", "a@example.com"),
    ("contact_method", "email"),
    ("contact_us", "x"),
    ("photo_size", 1024),
    ("photo_type", "jpeg"),
    ("media_source", "googleadwords_int"),
    ("utm_content", "textlink"),
    ("content", "hero"),
    ("text", "Buy now"),
    ("body", "x"),
    ("gps_enabled", False),
    ("location_permission", "granted"),
    ("locationServicesEnabled", True),
    ("latency", 12.345),
    ("platform", "ios"),
    ("long_description", "A long text"),
    ("alt", "Red shoes"),
    ("alt_text", "Red shoes"),
    ("long", 139.7671),
    ("image", "https://cdn.example.com/a.jpg"),
    ("image", "p1.jpg"),  # a file name or slug is a reference to hosted media
    ("image", "spring_banner.jpg"),
    ("video", "math-3-unit2-intro"),
    ("images", ["https://cdn.example.com/a.jpg", "https://cdn.example.com/b.jpg"]),
    ("photo_url", "https://cdn.example.com/a.jpg"),
    ("thumbnail", "/img/t.jpg"),
    ("click_coordinates", {"x": 10, "y": 20}),
    ("images", [{"url": "https://cdn.example.com/a.jpg", "alt": "Red shoes", "width": 800}]),
    ("image", {"src": "https://cdn.example.com/a.jpg"}),
    ("review_body", "Great product"),
    ("email", "hanako@example.com"),
    ("location_id", "store-1"),
    ("store_location", "Shibuya"),
    ("photos", []),
    ("contacts", None),
    ("message", ""),
    ("attachments", {}),
    ("メッセージ数", 3),
    ("写真枚数", 2),
    ("位置情報許可", False),
    ("画像URL", "https://c.example/a.png"),
    ("エラーメッセージ", "在庫切れ"),
    ("連絡先メールアドレス", "a@example.com"),
    ("動画時間", 120),
    ("写真あり", True),
]


@pytest.mark.parametrize(("key", "value"), KEPT_BY_KEY, ids=lambda v: str(v))
def test_key_name_keeps_counts_flags_ids_and_references(
    scrubber: Scrubber, key: str, value: Any
) -> None:
    properties, removals = scrub_properties(scrubber, {key: value})
    assert removals == []
    assert properties == {key: value}


@pytest.mark.parametrize(
    ("siblings", "removed"),
    [
        ({"lat": 35.6812, "long": 139.7671}, ["lat", "long"]),
        ({"latitude": 35.6812, "long": 139.7671, "alt": 40.0}, ["latitude", "long", "alt"]),
        ({"long": 139.7671, "alt": 40.0, "name": "x"}, []),
    ],
)
def test_long_and_alt_only_beside_a_latitude(
    scrubber: Scrubber, siblings: dict[str, Any], removed: list[str]
) -> None:
    properties, removals = scrub_properties(scrubber, {"point": siblings})
    assert [r.path for r in removals] == [f"properties.point.{k}" for k in removed]
    assert set(properties["point"]) == set(siblings) - set(removed)


def test_key_folding() -> None:
    keys = KeyClassifier()
    assert keys.tokens("GPS-Latitude") == keys.tokens("gps_latitude") == ["gps", "latitude"]
    assert keys.tokens("phonebookEntries") == ["phonebook", "entry"]
    assert keys.tokens("addressBook") == keys.tokens("address book") == ["addressbook"]
    assert keys.tokens("メッセージ本文") == ["メッセージ", "本文"]
    assert keys.tokens("写真枚数") == ["写真", "枚数"]


def test_key_cache_is_bounded() -> None:
    keys = KeyClassifier()
    for index in range(CACHE_SIZE * 2 + 3):
        keys.classify(f"field_{index}")
    assert len(keys.cache) <= CACHE_SIZE
    assert keys.classify("photos") is not None


# --- 3. value shapes ------------------------------------------------------------------------

SHAPES = [
    ("35.6812, 139.7671", L, "value:coordinates"),
    ("35.6812 139.7671", L, "value:coordinates"),
    ("-33.8688,151.2093", L, "value:coordinates"),
    ("(35.6812, 139.7671)", L, "value:coordinates"),
    ("[35.6812,139.7671]", L, "value:coordinates"),
    ("POINT(139.7671 35.6812)", L, "value:coordinates"),
    ("lat: 35.6812, lng: 139.7671", L, "value:coordinates"),
    ("  35.6812,139.7671", L, "value:coordinates"),
    ("N35°40'52\" E139°46'01\"", L, "value:coordinates"),
    ("35°40'52.3\"N 139°46'01.6\"E", L, "value:coordinates"),
    ("35°40.87'N, 139°46.02'E", L, "value:coordinates"),
    ("I am at 35.6812, 139.7671 now", L, "value:coordinates"),
    ("geo:35.6812,139.7671", L, "value:geo_uri"),
    ("GEO:35.68,139.76;u=35", L, "value:geo_uri"),
    ("data:image/png;base64," + PNG_B64, P, "value:data_uri"),
    ("data:video/mp4;base64,AAAA", P, "value:data_uri"),
    ("DATA:IMAGE/JPEG;base64,x", P, "value:data_uri"),
    ("data:text/vcard;charset=utf-8,BEGIN", C, "value:data_uri"),
    (JPEG_B64, P, "value:base64_media"),
    (PNG_B64, P, "value:base64_media"),
    (HEIC_B64, P, "value:base64_media"),
    (MP4_B64, P, "value:base64_media"),
    (JPEG_B64.replace("+", "-").replace("/", "_"), P, "value:base64_media"),
    (VCARD, C, "value:vcard"),
    ("begin:vcard\nfn:x\nend:vcard", C, "value:vcard"),
    ("MECARD:N:Sato,Hanako;TEL:09012345678;;", C, "value:vcard"),
    ("/storage/emulated/0/DCIM/Camera/IMG_20260501.jpg", P, "value:media_path"),
    ("/sdcard/Pictures/Screenshots/a.png", P, "value:media_path"),
    ("/var/mobile/Media/DCIM/100APPLE/IMG_0001.HEIC", P, "value:media_path"),
    ("/data/user/0/jp.example/cache/IMG_1.jpeg", P, "value:media_path"),
    ("/DCIM/100APPLE/IMG_0001.MOV", P, "value:media_path"),
    ("content://media/external/images/media/42", P, "value:media_path"),
    ("content://com.google.android.apps.photos.contentprovider/-1/1/x", P, "value:media_path"),
    ("ph://F2A9B3C1-0D4E-4F5A-8B6C-7D8E9F0A1B2C/L0/001", P, "value:media_path"),
    ("assets-library://asset/asset.JPG?id=1&ext=JPG", P, "value:media_path"),
    ("file:///storage/emulated/0/Movies/clip.mp4", P, "value:media_path"),
    ("file:///Users/x/Pictures/a.heic", P, "value:media_path"),
    ("content://com.android.contacts/contacts/lookup/1", C, "value:contacts_uri"),
    ("content://contacts/people/1", C, "value:contacts_uri"),
    ("file:///sdcard/Download/friends.vcf", C, "value:vcard"),
    ("content://sms/inbox/42", M, "value:message_uri"),
    ("content://mms/part/3", M, "value:message_uri"),
    ("data:application/octet-stream;base64," + JPEG_B64, P, "value:data_uri"),
    ('{"lat": 35.6812, "sku": "G-1"}', L, "value:embedded_json"),
    ('[{"name": "x", "photo": "IMG_1.JPG"}]', P, "value:embedded_json"),
    ('{"contacts": ["Taro"]}', C, "value:embedded_json"),
]


@pytest.mark.parametrize(("value", "category", "rule"), SHAPES, ids=lambda v: str(v)[:40])
def test_value_shape_under_innocent_key(
    scrubber: Scrubber, value: str, category: str, rule: str
) -> None:
    properties, removals = scrub_properties(scrubber, {"note": value, "keep": 1})
    assert properties == {"keep": 1}
    assert removals == [Removal("properties.note", category, rule)]


@pytest.mark.parametrize(("value", "category", "rule"), SHAPES, ids=lambda v: str(v)[:40])
def test_value_shape_in_array_removes_the_element(
    scrubber: Scrubber, value: str, category: str, rule: str
) -> None:
    properties, removals = scrub_properties(scrubber, {"list": ["a-first", value, "z-last"]})
    assert properties == {"list": ["a-first", "z-last"]}
    assert removals == [Removal("properties.list[1]", category, rule)]


NUMBER_PAIRS = [[35.6812, 139.7671], [139.7671, 35.6812], [-33.8688, 151.2093, 12.0]]


@pytest.mark.parametrize("pair", NUMBER_PAIRS)
def test_number_pairs(scrubber: Scrubber, pair: list[float]) -> None:
    properties, removals = scrub_properties(scrubber, {"v": pair, "route": [pair, pair]})
    assert properties == {"route": []}
    assert [(r.path, r.rule) for r in removals] == [
        ("properties.v", "value:coordinates"),
        ("properties.route[0]", "value:coordinates"),
        ("properties.route[1]", "value:coordinates"),
    ]


def test_media_bytes_array(scrubber: Scrubber) -> None:
    jpeg = list(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x02\x03\x04\x05\x06\x07")
    properties, removals = scrub_properties(scrubber, {"raw": jpeg, "ok": list(range(20))})
    assert properties == {"ok": list(range(20))}
    assert removals == [Removal("properties.raw", P, "value:media_bytes")]


NOT_SHAPES = [
    "2026-05-01T09:30:12.345Z",
    "19.99",
    "1.2.3",
    "10.15.7",
    "Version 1.234, 5.678",
    "v1.234, 5.678",
    "0.125, 0.375",
    "35.6, 139.7",
    "100.5 200.5",
    "1,234.567",
    "¥1,234.50",
    UA_IPHONE,
    "https://cdn.example.com/p/1.jpg",
    "/images/products/p1.jpg",
    "/Pictures/x.jpg",
    "data:text/plain,hello",
    "data:application/json,{}",
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig",
    "iVBOR",
    "/9j/4AAQ",
    "/9j/" + "?" * 60,
    "AAAA" + "A" * 60,
    "Geography",
    "geolocation is off",
    "ph: 03-1234-5678",
    "content://jp.example.provider/settings/1",
    "file:///tmp/report.pdf",
    "/storage/emulated/0/Download/a.pdf",
    "N/A",
    "Northeast",
    "Sale 35% off",
    "35°C today",
    "photos",
    "BEGIN:VCALENDAR",
    "mystery",
    "xn76urx4",
    "東京都千代田区丸の内1-9-1",
    "ミーティング 10:30, 11:45",
    '{"sku": "G-1", "qty": [1, 2]}',
    "{not json]",
    "[1, 2, 3]",
    "data:application/octet-stream;base64,AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIj",
]


@pytest.mark.parametrize("value", NOT_SHAPES, ids=lambda v: str(v)[:40])
def test_ordinary_values_pass(scrubber: Scrubber, value: str) -> None:
    properties, removals = scrub_properties(scrubber, {"note": value, "list": [value]})
    assert removals == []
    assert properties == {"note": value, "list": [value]}


@pytest.mark.parametrize(
    "value", [[2, 3], [2.0, 3.0], [19.99, 5.5], [0.953, 0.874], [1.5, 2.25, 3.0]]
)
def test_ordinary_number_arrays_pass(scrubber: Scrubber, value: list[float]) -> None:
    assert scrub_properties(scrubber, {"v": value}) == ({"v": value}, [])


@pytest.mark.parametrize(
    ("key", "value", "removed"),
    [
        ("location", "xn76urx4", True),
        ("geo", "u4pruydqqv", True),
        ("loc", "9q8yy", True),
        ("note", "xn76urx4", False),
        ("location", "mystery", False),
        ("location", "12345", False),
        ("location", "tokyo", False),
    ],
)
def test_geohash_only_under_location_like_keys(
    scrubber: Scrubber, key: str, value: str, removed: bool
) -> None:
    properties, removals = scrub_properties(scrubber, {key: value})
    assert (removals == [Removal(f"properties.{key}", L, "value:geohash")]) is removed
    assert (properties == {}) is removed


def test_short_strings_never_decoded(scrubber: Scrubber) -> None:
    short = JPEG_B64[:40]
    assert scrub_properties(scrubber, {"t": short}) == ({"t": short}, [])


# --- 4. URLs --------------------------------------------------------------------------------

DROPPED = "(the whole string is removed)"
URLS = [
    (
        "https://shop.example.com/stores?lat=35.6812&lng=139.7671&sort=near",
        "https://shop.example.com/stores?sort=near",
        [("?lat", L, "url_param"), ("?lng", L, "url_param")],
    ),
    (
        "https://shop.example.com/stores?sort=near&ll=35.6812%2C139.7671&utm_source=a%20b#top",
        "https://shop.example.com/stores?sort=near&utm_source=a%20b#top",
        [("?ll", L, "url_param")],
    ),
    (
        "https://x.example/?lat=1.5&lng=2.5",
        "https://x.example/",
        [("?lat", L, "url_param"), ("?lng", L, "url_param")],
    ),
    (
        "https://x.example/p?lat=35.6812#frag",
        "https://x.example/p#frag",
        [("?lat", L, "url_param")],
    ),
    (
        "https://maps.example/?q=35.6812%2C139.7671&z=15",
        "https://maps.example/?z=15",
        [("?q", L, "value:coordinates")],
    ),
    (
        "https://x.example/?center=geo:35.68,139.76&a=1&b=2",
        "https://x.example/?a=1&b=2",
        [("?center", L, "value:geo_uri")],
    ),
    (
        "https://x.example/?a=1&&b=&c&GPS=35.1,139.2&d=%7E",
        "https://x.example/?a=1&&b=&c&d=%7E",
        [("?GPS", L, "url_param")],
    ),
    (
        "https://x.example/?message=hello+there&utm_medium=sms",
        "https://x.example/?utm_medium=sms",
        [("?message", M, "url_param")],
    ),
    ("https://x.example/?photo=1&image=https%3A%2F%2Fcdn.example%2Fa.jpg", None, []),
    (
        "https://x.example/?img=data%3Aimage%2Fpng%3Bbase64%2CiVBORw0KGgo&x=1",
        "https://x.example/?x=1",
        [("?img", P, "url_param")],
    ),
    (
        "https://x.example/?token=s3cr3t&EMAIL=a%40b.c&keep=1",
        "https://x.example/?keep=1",
        [("?token", "sensitive", "url_param"), ("?EMAIL", "sensitive", "url_param")],
    ),
    (
        "https://a.example/?next=https%3A%2F%2Fb.example%2F%3Flat%3D35.1&x=1",
        "https://a.example/?x=1",
        [("?next", L, "url_param")],
    ),
    (
        "https://app.example/#/map?lat=35.6812&lng=139.7671",
        "https://app.example/#/map",
        [("#lat", L, "url_param"), ("#lng", L, "url_param")],
    ),
    (
        "https://app.example/p?a=1#lat=35.6812&x=2",
        "https://app.example/p?a=1#x=2",
        [("#lat", L, "url_param")],
    ),
    ("https://app.example/#section-2", None, []),
    ("HTTPS://X.EXAMPLE/?LAT=35.6812", "HTTPS://X.EXAMPLE/", [("?LAT", L, "url_param")]),
    (
        "http://x.example/?緯度=35.6812&経度=139.7671&商品=1",
        "http://x.example/?商品=1",
        [("?緯度", L, "url_param"), ("?経度", L, "url_param")],
    ),
    (
        "https://x.example/?%E7%B7%AF%E5%BA%A6=35.68&q=1",
        "https://x.example/?q=1",
        [("?緯度", L, "url_param")],
    ),
    ("https://www.google.com/maps/@35.6812,139.7671,15z", DROPPED, [("", L, "value:coordinates")]),
    (
        "https://x.example/?utm_source=google&utm_medium=cpc&gclid=EAIaIQobChMI&fbclid=IwAR2F4",
        None,
        [],
    ),
    ("https://x.example/?location=Tokyo&geo=JP&long=1&alt=photo", None, []),
    ("?lat=35.6812&q=shoes", "?q=shoes", [("?lat", L, "url_param")]),
    (
        "https://x.example/?data=%7B%22lat%22%3A35.68%7D&k=1",
        "https://x.example/?k=1",
        [("?data", L, "value:embedded_json")],
    ),
    ("?lat=35.6812", "", [("?lat", L, "url_param")]),
    ("/stores?lng=139.7671&page=2", "/stores?page=2", [("?lng", L, "url_param")]),
]


@pytest.mark.parametrize(("url", "expected", "removed"), URLS, ids=lambda v: str(v)[:60])
def test_url_parameters(
    scrubber: Scrubber, url: str, expected: str | None, removed: list[tuple[str, str, str]]
) -> None:
    event = {"context": {"page": {"url": url}}, "properties": {"links": [url]}}
    removals = scrubber.scrub(event)
    if expected is DROPPED:
        assert event == {"context": {"page": {}}, "properties": {"links": []}}
    else:
        kept = url if expected is None else expected
        assert event == {"context": {"page": {"url": kept}}, "properties": {"links": [kept]}}
    paths = [("context.page.url", removed), ("properties.links[0]", removed)]
    assert removals == [Removal(base + s, c, r) for base, items in paths for s, c, r in items]


def test_parameter_names_that_are_data(scrubber: Scrubber) -> None:
    event = {"u": "https://x.example/?35.6812,139.7671&a=1&geo:35.1,139.2=x"}
    removals = scrubber.scrub(event)
    assert event == {"u": "https://x.example/?a=1"}
    assert removals == [
        Removal("u?*", L, "value:coordinates"),
        Removal("u?*", L, "value:geo_uri"),
    ]


def test_page_url_search_and_referrer_together(scrubber: Scrubber) -> None:
    event = {
        "type": "page",
        "context": {
            "page": {
                "url": "https://shop.example.com/near?lat=35.6812&lng=139.7671&utm_source=line",
                "search": "?lat=35.6812&lng=139.7671&utm_source=line",
                "referrer": "https://maps.example/?ll=35.6812,139.7671&hl=ja",
                "path": "/near",
                "title": "Near you",
            }
        },
        "properties": {
            "url": "https://shop.example.com/near?lat=35.6812&utm_source=line",
            "search": "?lat=35.6812&utm_source=line",
            "referrer": "https://maps.example/?hl=ja",
        },
    }
    removals = scrubber.scrub(event)
    assert event["context"]["page"] == {
        "url": "https://shop.example.com/near?utm_source=line",
        "search": "?utm_source=line",
        "referrer": "https://maps.example/?hl=ja",
        "path": "/near",
        "title": "Near you",
    }
    assert event["properties"] == {
        "url": "https://shop.example.com/near?utm_source=line",
        "search": "?utm_source=line",
        "referrer": "https://maps.example/?hl=ja",
    }
    assert [r.path for r in removals] == [
        "context.page.url?lat",
        "context.page.url?lng",
        "context.page.search?lat",
        "context.page.search?lng",
        "context.page.referrer?ll",
        "properties.url?lat",
        "properties.search?lat",
    ]


# --- 1. known paths, trusted paths, allowed categories --------------------------------------


def test_context_location_is_a_known_path(scrubber: Scrubber) -> None:
    event = {
        "context": {
            "location": {"city": "Tokyo", "country": "JP", "latitude": 35.6812},
            "locale": "ja-JP",
        }
    }
    assert scrubber.scrub(event) == [Removal("context.location", L, "known_path")]
    assert event == {"context": {"locale": "ja-JP"}}


def test_context_geo_is_trusted_and_not_scanned(scrubber: Scrubber) -> None:
    geo = {"country": "JP", "subdivision": "13", "city": "Tokyo", "lat": 35.6812}
    event = {"context": {"geo": dict(geo)}, "properties": {"geo": {"lat": 35.6812}}}
    removals = scrubber.scrub(event)
    assert event["context"]["geo"] == geo
    assert removals == [Removal("properties.geo.lat", L, "key_name")]


def test_trusted_paths_are_configurable() -> None:
    event = {"context": {"geo": {"lat": 35.6812}, "enriched": {"photo": "x"}}}
    removals = Scrubber(trusted_paths=("context.enriched",)).scrub(event)
    assert event == {"context": {"geo": {}, "enriched": {"photo": "x"}}}
    assert removals == [Removal("context.geo.lat", L, "key_name")]


@pytest.mark.parametrize("allowed", [L, C, M, P])
def test_an_allowed_category_passes_and_the_others_do_not(scrubber: Scrubber, allowed: str) -> None:
    original = {
        "context": {
            "location": {"latitude": 35.6812},
            "page": {"url": "https://x.example/?lat=35.6812"},
        },
        "properties": {
            "gps": "35.6812,139.7671",
            "note": "35.6812, 139.7671",
            "pair": [35.6812, 139.7671],
            "contacts": ["Taro"],
            "card": VCARD,
            "messageBody": "hi",
            "sms": "content://sms/1",
            "photos": ["IMG.jpg"],
            "blob": JPEG_B64,
            "path": "/DCIM/a.jpg",
        },
    }
    event = copy.deepcopy(original)
    removals = scrubber.scrub(event, frozenset({allowed}))
    assert {r.category for r in removals} == {L, C, M, P} - {allowed}
    remaining = json.dumps(event, ensure_ascii=False)
    expectations = {
        L: ["35.6812"],
        C: ["Taro", "VCARD"],
        M: ["hi", "sms"],
        P: ["IMG.jpg", "DCIM", JPEG_B64],
    }
    for category, markers in expectations.items():
        for marker in markers:
            assert (marker in remaining) is (category == allowed), (category, marker)


def test_values_allowed_once_are_not_remembered_as_clean(scrubber: Scrubber) -> None:
    value = "35.6812, 139.7671"
    event = {"note": value, "u": "https://x.example/?lat=35.6812&a=1"}
    assert scrubber.scrub(copy.deepcopy(event), frozenset({L})) == []
    assert [r.path for r in scrubber.scrub(event)] == ["note", "u?lat"]


def test_clean_values_are_remembered_per_allowed_set(scrubber: Scrubber) -> None:
    for allowed in [frozenset({P}), frozenset({P}), frozenset(), frozenset({L}), frozenset({P})]:
        event = {"note": "35.6812, 139.7671", "ua": UA_IPHONE}
        removals = scrubber.scrub(event, allowed)
        assert (removals == []) is (L in allowed)
        assert event["ua"] == UA_IPHONE


def test_caches_stay_bounded_with_unique_keys_and_values(scrubber: Scrubber) -> None:
    for index in range(CACHE_SIZE + 10):
        scrubber.scrub({f"{index % 89 + 1}.{index:06d},139.7671": 1, f"k{index}": f"v-{index}"})
    assert len(scrubber._keys.cache) <= CACHE_SIZE


def test_sensitive_params_are_removed_even_when_everything_is_allowed(scrubber: Scrubber) -> None:
    event = {"url": "https://x.example/?Token=1&email=a%40b.c&lat=35.6812"}
    removals = scrubber.scrub(event, frozenset(FORBIDDEN_CATEGORIES))
    assert event == {"url": "https://x.example/?lat=35.6812"}
    assert removals == [
        Removal("url?Token", "sensitive", "url_param"),
        Removal("url?email", "sensitive", "url_param"),
    ]


# --- walking: depth, arrays, mutation ------------------------------------------------------


def test_depth_twelve_dicts_and_arrays(scrubber: Scrubber) -> None:
    leaf: Any = {"lat": 35.6812, "keep": "x", "items": ["ok", "geo:35.68,139.76"]}
    for level in range(12):
        leaf = [{"n": level, "child": leaf}] if level % 2 else {"n": level, "child": leaf}
    event = {"properties": {"tree": leaf}}
    removals = scrubber.scrub(event)
    prefix = "properties.tree" + "".join(
        "[0].child" if level % 2 else ".child" for level in reversed(range(12))
    )
    assert removals == [
        Removal(f"{prefix}.lat", L, "key_name"),
        Removal(f"{prefix}.items[1]", L, "value:geo_uri"),
    ]
    node = event["properties"]["tree"]
    for level in reversed(range(12)):
        node = node[0]["child"] if level % 2 else node["child"]
    assert node == {"keep": "x", "items": ["ok"]}


def test_array_indices_are_those_of_the_input(scrubber: Scrubber) -> None:
    event = {"a": ["geo:1.5,2.5", "x", {"photo": "y"}, "geo:3.5,4.5", [35.6812, 139.7671], "z"]}
    removals = scrubber.scrub(event)
    assert event == {"a": ["x", {}, "z"]}
    assert [r.path for r in removals] == ["a[0]", "a[2].photo", "a[3]", "a[4]"]


def test_scrub_mutates_in_place_and_returns_only_what_it_removed(scrubber: Scrubber) -> None:
    event = {"properties": {"note": "fine"}}
    same = event["properties"]
    assert scrubber.scrub(event) == []
    assert event["properties"] is same


def test_too_deep_is_rejected(scrubber: Scrubber) -> None:
    event: dict[str, Any] = {}
    node = event
    for _ in range(MAX_DEPTH + 2):
        node["c"] = {}
        node = node["c"]
    with pytest.raises(NestingTooDeepError):
        scrubber.scrub(event)


# --- the report -----------------------------------------------------------------------------


def test_removals_name_paths_and_reasons_never_values(scrubber: Scrubber) -> None:
    secrets = ["35.6812", "139.7671", "Taro", "080-1111", "See you at 7", JPEG_B64[:20], "IMG_9"]
    event = {
        "context": {"location": {"latitude": 35.6812}, "page": {"url": "https://x/?lat=35.6812"}},
        "properties": {
            "contacts": [{"name": "Taro", "tel": "080-1111"}],
            "messageBody": "See you at 7",
            "blob": JPEG_B64,
            "p": "/DCIM/IMG_9.jpg",
            "note": "35.6812, 139.7671",
            "35.6812,139.7671": True,
        },
        "list": [[35.6812, 139.7671], "https://x/?35.6812,139.7671"],
    }
    removals = scrubber.scrub(event)
    assert len(removals) == 10
    for removal in removals:
        assert removal.category in (*FORBIDDEN_CATEGORIES, "sensitive")
        assert removal.rule in ("known_path", "key_name", "url_param") or removal.rule.startswith(
            "value:"
        )
        for secret in secrets:
            assert secret not in f"{removal.path} {removal.category} {removal.rule}"
    assert "properties.*" in [r.path for r in removals]
    assert "list[1]?*" in [r.path for r in removals]


def test_removal_is_frozen() -> None:
    removal = Removal("a", L, "key_name")
    with pytest.raises(AttributeError):
        removal.path = "b"  # type: ignore[misc]


# --- configuration --------------------------------------------------------------------------


def test_extra_key_names_add_words_in_both_languages() -> None:
    scrubber = Scrubber(
        extra_key_names={L: ["whereabouts", "居場所"], C: ["buddy roster"], P: ["snapshot"]}
    )
    event = {
        "whereabouts": "x",
        "Whereabouts": "y",
        "居場所": "z",
        "buddyRoster": ["a"],
        "snapshots": ["b"],
        "snapshot_count": 2,
        "buddy": "c",
    }
    removals = scrubber.scrub(event)
    assert event == {"snapshot_count": 2, "buddy": "c"}
    assert [(r.path, r.category) for r in removals] == [
        ("whereabouts", L),
        ("Whereabouts", L),
        ("居場所", L),
        ("buddyRoster", C),
        ("snapshots", P),
    ]


def test_extra_key_names_reject_unknown_categories() -> None:
    with pytest.raises(ValueError, match="unknown categories"):
        Scrubber(extra_key_names={"health": ["pulse"]})


# --- corpora --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "event"), ORDINARY, ids=[name for name, _ in ORDINARY])
def test_ordinary_event_passes_unchanged(
    scrubber: Scrubber, name: str, event: dict[str, Any]
) -> None:
    scrubbed = copy.deepcopy(event)
    assert scrubber.scrub(scrubbed) == []
    assert scrubbed == event


@pytest.mark.parametrize("item", FORBIDDEN, ids=[item.name for item in FORBIDDEN])
def test_forbidden_case_is_removed_exactly(scrubber: Scrubber, item: Case) -> None:
    event = copy.deepcopy(item.event)
    assert {(r.path, r.category) for r in scrubber.scrub(event)} == item.expected
    assert scrubber.scrub(copy.deepcopy(event)) == []


def test_corpus_figures(scrubber: Scrubber, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(ORDINARY) >= 40 and len(FORBIDDEN) >= 40
    figures = measure(scrubber)
    with capsys.disabled():
        print(f"\nforbidden-category corpus: {figures}")
    assert figures.recall == 1.0
    assert figures.precision == 1.0
    assert figures.ordinary_unchanged == figures.ordinary_total


def test_segment_spec_examples_pass(scrubber: Scrubber) -> None:
    """Segment's own documentation payloads (third-party data): nothing removed but the
    free-text message a shopper writes to a friend in "Product/Cart Shared"."""
    examples = json.loads((shared_testdata("segment-spec") / "examples.json").read_text())[
        "examples"
    ]
    removed = {}
    for example in examples:
        payload = copy.deepcopy(example["payload"])
        removals = scrubber.scrub(payload)
        if removals:
            removed[example["id"]] = [(r.path, r.category) for r in removals]
        else:
            assert payload == example["payload"]
    share = [("properties.share_message", M)]
    assert removed == {"ecommerce-v2-23": share, "ecommerce-v2-24": share}


@pytest.mark.parametrize(
    "name", ["ga4_measurement_protocol_bodies.json", "meta_conversions_api_bodies.json"]
)
def test_destination_test_payloads_pass(scrubber: Scrubber, name: str) -> None:
    """Segment's action-destinations test events and the GA4 / Meta CAPI bodies they produce
    (third-party data): ordinary commerce payloads, nothing to remove."""
    cases = json.loads((shared_testdata("destination-payloads") / name).read_text())["cases"]
    objects = [c[k] for c in cases for k in ("segment_event_overrides", "request_body")]
    objects = [o for o in objects if isinstance(o, dict)]
    assert len(objects) > 100
    for payload in objects:
        scrubbed = copy.deepcopy(payload)
        assert scrubber.scrub(scrubbed) == []
        assert scrubbed == payload


# --- cost ----------------------------------------------------------------------------


def budget_event(index: int, products: int) -> bytes:
    items = [
        {
            "product_id": f"{index:08x}{n:016x}",
            "sku": f"G-{n}",
            "name": "Monopoly: 3rd Edition",
            "price": 18.99,
            "quantity": 1,
            "position": n,
            "category": "Games",
            "url": f"https://www.example.com/product/{index}-{n}?ref=list",
            "image_url": f"https://cdn.example.com/p/{index}-{n}.jpg",
        }
        for n in range(products)
    ]
    return orjson.dumps(
        {
            "type": "track",
            "event": "Order Completed",
            "messageId": f"ajs-{index:032x}",
            "anonymousId": f"{index:08x}-aa0f-45a7-a756-24f2a7a4c895",
            "timestamp": "2026-05-01T09:30:12.345Z",
            "context": {
                "library": {"name": "analytics.js", "version": "2.11.1"},
                "userAgent": UA_IPHONE,
                "page": {
                    "path": "/checkout",
                    "title": "Checkout",
                    "referrer": "https://www.google.com/",
                    "url": f"https://shop.example.com/checkout?utm_source=google&gclid={index:x}",
                    "search": f"?utm_source=google&gclid={index:x}",
                },
                "device": {"id": f"{index:08X}-C21E-11E4-8DFC-AA07A5B093DB", "model": "iPhone15,2"},
                "locale": "ja-JP",
                "timezone": "Asia/Tokyo",
            },
            "properties": {
                "order_id": f"{index:024x}",
                "total": 27.5,
                "currency": "JPY",
                "products": items,
            },
        }
    )


def operations(scrubber: Scrubber, raw: bytes) -> int:
    """The Python and built-in function calls one scrub makes: a count of the work done that
    is the same on a busy machine as on an idle one (speed is `make bench`'s concern)."""
    event, count = orjson.loads(raw), 0

    def count_calls(frame: Any, kind: str, arg: Any) -> None:
        nonlocal count
        count += kind in ("call", "c_call")

    sys.setprofile(count_calls)
    try:
        scrubber.scrub(event)
    finally:
        sys.setprofile(None)
    return count


def operations_per_byte(products: int) -> float:
    """Operations per byte of a unique event (no string seen before; key names cached)."""
    scrubber = Scrubber(sensitive_query_params=["token"])
    scrubber.scrub(orjson.loads(budget_event(0, products)))
    raw = budget_event(1, products)
    return operations(scrubber, raw) / len(raw)


def linear(small: float, large: float) -> bool:
    """A 30 KB event costs about as much per byte as a 1 KB one (its products hold more
    strings per byte than the envelope: 1.15 times as many operations today)."""
    return large < 1.5 * small


def test_cost_grows_linearly_with_the_event() -> None:
    """Operations counted, not time: a quadratic walk or a regex rerun per sibling shows as
    more operations per byte on the larger event. Counted on the plain-Python build (the
    Makefile's GATEWAY_PURE=1 run); compiled code makes no calls a profiler sees."""
    if not (inspect.isfunction(Scrubber.scrub) and inspect.isfunction(Sweeper.string)):
        pytest.skip("compiled build: operations are counted under GATEWAY_PURE=1")
    assert 800 < len(budget_event(1, 1)) < 1300 and len(budget_event(1, 130)) > 30_000
    small, large = operations_per_byte(1), operations_per_byte(130)
    assert small > 0.1, small  # the count sees the walk
    assert linear(small, large), (small, large)


def test_the_linear_cost_check_catches_a_quadratic_walk() -> None:
    """A walk that looked at every product once per product would fail the check."""

    def quadratic(products: int) -> float:
        return products * products * 40 / len(budget_event(1, products))

    assert not linear(quadratic(1), quadratic(130))


CONTACT_LISTS = [
    [{"name": "Taro", "phone": "090-1234-5678"}, {"name": "Hanako", "phone": "080-1111-2222"}],
    [{"first_name": "A", "email": "a@example.com"}, {"firstName": "B", "email": "b@example.com"}],
    [{"氏名": "山田", "電話番号": "03-1234-5678"}, {"氏名": "佐藤", "電話番号": "06-1234-5678"}],
]


@pytest.mark.parametrize("entries", CONTACT_LISTS)
def test_a_list_of_people_with_phones_or_emails_is_an_address_book(
    scrubber: Scrubber, entries: list[dict[str, str]]
) -> None:
    event = {"properties": {"friends": entries, "plan": "pro"}}
    removed = scrubber.scrub(event)
    assert event == {"properties": {"plan": "pro"}}
    assert [(r.path, r.category, r.rule) for r in removed] == [
        ("properties.friends", C, "value:contact_list")
    ]


@pytest.mark.parametrize(
    "value",
    [
        [{"name": "Shoe", "price": 1200}, {"name": "Hat", "price": 800}],  # products
        [{"name": "Me", "phone": "090-0000-0000", "line1": "1-2-3"}],  # one own address
        [{"name": "Shipping"}, {"name": "Billing", "email": "billing@example.com"}],
    ],
)
def test_lists_that_are_not_address_books_pass(scrubber: Scrubber, value: list[Any]) -> None:
    event = {"properties": {"entries": copy.deepcopy(value)}}
    assert scrubber.scrub(event) == []
    assert event["properties"]["entries"] == value


def test_a_full_plus_code_is_a_location_but_look_alikes_pass(scrubber: Scrubber) -> None:
    event = {"properties": {"spot": "8Q7XMMG2+9X", "sku": "ABCDEFGH+12", "ref": "12345678+90"}}
    removed = scrubber.scrub(event)
    assert event == {"properties": {"sku": "ABCDEFGH+12", "ref": "12345678+90"}}
    assert [(r.path, r.rule) for r in removed] == [("properties.spot", "value:plus_code")]


@pytest.mark.parametrize(
    "text",
    [
        "lat=35.6812;lng=139.7671",
        "lat=35.6812&lng=139.7671",
        'latitude: "35.6812", longitude: "139.7671"',
        "N35.6812 E139.7671",
        "35.6812N, 139.7671E",
        "S33.8688 E151.2093",
    ],
)
def test_labelled_and_hemisphere_coordinates_in_text(scrubber: Scrubber, text: str) -> None:
    event = {"properties": {"note": text, "plan": "pro"}}
    removed = scrubber.scrub(event)
    assert event == {"properties": {"plan": "pro"}}
    assert [(r.path, r.rule) for r in removed] == [("properties.note", "value:coordinates")]


@pytest.mark.parametrize(
    "text",
    ["Order 1.234 and 5.678 total", "version 10.123.4 build 2.345", "JPY 1.2345, EUR 0.0067"],
)
def test_numbers_with_decimals_are_not_coordinates(scrubber: Scrubber, text: str) -> None:
    event = {"properties": {"note": text}}
    assert scrubber.scrub(event) == []


@pytest.mark.parametrize(
    "key", ["latitudeE7", "longitudeE7", "lat_deg", "latitude_degrees", "latDeg"]
)
def test_units_after_a_coordinate_word_do_not_hide_it(scrubber: Scrubber, key: str) -> None:
    event = {"properties": {key: 356812345}}
    removed = scrubber.scrub(event)
    assert event == {"properties": {}}
    assert [(r.category, r.rule) for r in removed] == [(L, "key_name")]


def test_a_video_clip_is_media_but_a_lone_clip_key_is_not(scrubber: Scrubber) -> None:
    event = {"properties": {"videoClip": "clip-bytes-here", "clip": "coupon-2024"}}
    removed = scrubber.scrub(event)
    assert event == {"properties": {"clip": "coupon-2024"}}
    assert [(r.path, r.category) for r in removed] == [("properties.videoClip", P)]


@pytest.mark.parametrize(
    "items",
    [
        ["+81 90-1234-5678", "080-1111-2222", "03-1234-5678"],
        ["a@example.jp", "b@example.com", "c@example.org"],
        ["(03) 1234-5678", "taro@example.jp", "+1 650 555 1212"],
    ],
)
def test_a_list_of_phone_numbers_or_emails_is_an_address_book(
    scrubber: Scrubber, items: list[str]
) -> None:
    event = {"properties": {"invitees": items}}
    assert [(r.path, r.rule) for r in scrubber.scrub(event)] == [
        ("properties.invitees", "value:contact_list")
    ]


@pytest.mark.parametrize(
    "items",
    [
        ["me@example.jp", "me.work@example.jp"],  # the customer's own two
        ["123456789", "234567890", "345678901"],  # ids
        ["1.2.3456789", "2.3.4567890", "3.4.5678901"],  # versions
        ["SKU-123456789", "SKU-2", "SKU-3"],
    ],
)
def test_lists_of_ids_and_own_addresses_pass(scrubber: Scrubber, items: list[str]) -> None:
    event = {"properties": {"values": list(items)}}
    assert scrubber.scrub(event) == []


@pytest.mark.parametrize(
    "prefix",
    [
        "ffd8ffe000104a464946",
        "89504e470d0a1a0a0000000d49484452",
        "474946383961",
        "0000001c6674797068656963",
    ],
)
def test_media_written_as_hex_is_removed(scrubber: Scrubber, prefix: str) -> None:
    event = {"properties": {"blob": prefix + "00" * 40, "digest": "0" * 64}}
    removed = scrubber.scrub(event)
    assert event == {"properties": {"digest": "0" * 64}}
    assert [(r.path, r.category, r.rule) for r in removed] == [
        ("properties.blob", P, "value:hex_media")
    ]
