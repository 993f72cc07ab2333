"""Forbidden categories, the mechanisms added after the adversarial review: caches that never
carry a verdict across events, the context the walk carries (conversations, channels, places),
records judged whole, and the notations apps really use. Each table pairs what must go with
look-alikes that must stay."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import time
from typing import Any
from urllib.parse import quote

import pytest

from gateway.policy.forbidden.texts import MAX_NESTING
from gateway.policy.forbidden.walk import FORBIDDEN_CATEGORIES, Removal, Scrubber

L, C, M, P = "location", "contacts", "message_content", "media"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(80))
JPEG_B64 = base64.b64encode(JPEG).decode()
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(range(80))
BMP = b"BM6\x0c\x00\x00\x00\x00\x00\x006\x00\x00\x00(\x00\x00\x00" + bytes(range(80))
TEXT = "Are you free tonight? Meet me at the east exit"


def scrub(
    properties: dict[str, Any], event: str = "Test", scrubber: Scrubber | None = None
) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    scrubbed = {"type": "track", "event": event, "properties": copy.deepcopy(properties)}
    removals = (scrubber or Scrubber()).scrub(scrubbed)
    return scrubbed["properties"], [(r.path, r.category, r.rule) for r in removals]


def redirect(url: str, hops: int) -> str:
    for _ in range(hops):
        url = "https://a.example.com/r?next=" + quote(url, safe="")
    return url


# --- caches ---------------------------------------------------------------------------------


def test_what_nests_too_deep_is_removed_not_remembered_clean() -> None:
    """Past MAX_NESTING a URL is not scanned: it is removed (fail closed), and nothing about
    it is cached, so the same inner URL in a later event is still judged."""
    inner = "https://maps.google.com/?q=35.658581,139.745433"
    scrubber = Scrubber()
    deep = redirect(inner, MAX_NESTING + 2)
    properties, removed = scrub({"u": deep}, scrubber=scrubber)
    assert properties == {"u": "https://a.example.com/r"}
    assert removed == [("properties.u?next", "unscanned", "url_param")]
    for hops in range(MAX_NESTING + 1):
        properties, removed = scrub({"u": redirect(inner, hops)}, scrubber=scrubber)
        assert "35.658581" not in json.dumps(properties), hops
        assert removed and removed[0][1] == L


def test_too_deep_passes_when_every_category_is_allowed() -> None:
    event = {"u": redirect("https://x.example/?a=1", MAX_NESTING + 2)}
    assert Scrubber().scrub(copy.deepcopy(event), frozenset(FORBIDDEN_CATEGORIES)) == []


def test_a_long_parameter_is_judged_by_its_siblings_every_time() -> None:
    scrubber = Scrubber()
    assert (
        scrub({"u": "https://s.example/list?long=139.745433&sort=new"}, scrubber=scrubber)[1] == []
    )
    properties, removed = scrub(
        {"u": "https://s.example/stores?lat=35.658581&long=139.745433"}, scrubber=scrubber
    )
    assert properties == {"u": "https://s.example/stores"}
    assert [path for path, _, _ in removed] == ["properties.u?lat", "properties.u?long"]


def test_a_messaging_link_query_is_cached_apart_from_the_same_query_elsewhere() -> None:
    scrubber = Scrubber()
    query = "?text=" + quote(TEXT)
    assert scrub({"u": "https://shop.example/search" + query}, scrubber=scrubber)[1] == []
    properties, removed = scrub({"u": "https://wa.me/819012345678" + query}, scrubber=scrubber)
    assert properties == {"u": "https://wa.me/819012345678"}
    assert removed == [("properties.u?text", M, "url_param")]


# --- context: conversations, channels, places -----------------------------------------------

IN_CONVERSATION = [
    ({"conversation_parts": [{"body": TEXT, "author": {"type": "user"}}]}, "Test"),
    ({"ticket": {"subject": "Refund", "description": TEXT}}, "Test"),
    ({"ticket": {"comment": TEXT}}, "Test"),
    ({"inbox": [{"from": "Taro", "snippet": TEXT}]}, "Test"),
    ({"thread": {"replies": [{"text": TEXT}]}}, "Test"),
    ({"chatroom": {"items": [{"sender": "u1", "content": TEXT}]}}, "Test"),
    ({"room": {"posts": [{"author": "u2", "text": TEXT}]}}, "Test"),
    ({"aps": {"alert": {"title": "Taro", "body": TEXT}}}, "Test"),
    ({"extras": {"android.title": "Taro", "android.text": TEXT}}, "Notification Posted"),
    ({"rows": [{"thread_id": 3, "body": TEXT}]}, "SMS Synced"),
    ({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": TEXT}}]}, "DM Received"),
    ({"やりとり": [{"送信者": "太郎", "テキスト": TEXT}]}, "Test"),
]


@pytest.mark.parametrize(("properties", "event"), IN_CONVERSATION)
def test_text_fields_in_a_conversation_or_channel_are_messages(
    properties: dict[str, Any], event: str
) -> None:
    scrubbed, removed = scrub(properties, event)
    assert TEXT not in json.dumps(scrubbed, ensure_ascii=False)
    assert removed and {category for _, category, _ in removed} == {M}


NOT_IN_CONVERSATION = [
    ({"campaign": {"name": "spring", "content": "Invite a friend"}}, "Push Notification Received"),
    ({"email_subject": "Spring sale", "preview_text": "Up to 20% off"}, "Email Delivered"),
    ({"room": {"type": "twin", "description": "Ocean view twin room"}}, "Room Booked"),
    ({"item": {"description": "Drill book"}}, "Support Ticket Created"),
    ({"lesson": {"transcript": [{"start": 1.5, "text": "Today: fractions"}]}}, "Lesson Viewed"),
    ({"chat_settings": {"text": "large", "preview": "on"}}, "Settings Changed"),
    ({"error": {"text": "Network error", "code": "E1"}}, "Chat Failed"),
    ({"message_count": 3, "thread_id": "t-1", "has_attachment": False}, "Chat Opened"),
    ({"text": "Buy now", "body": "hero"}, "Banner Shown"),
    ({"comment": {"product_id": None, "comment": "Gift wrap, please"}}, "Order Completed"),
    ({"testimonials": [{"author": "Parent A", "text": "My child loves it"},
                       {"author": "Parent B", "text": "Very helpful"}]}, "Home Viewed"),
    ({"books": [{"title": "Kokoro", "author": "Natsume Soseki", "description": "A novel"},
                {"title": "Rashomon", "author": "Akutagawa", "description": "Stories"}]}, "Test"),
]  # fmt: skip


@pytest.mark.parametrize(("properties", "event"), NOT_IN_CONVERSATION)
def test_text_fields_elsewhere_pass(properties: dict[str, Any], event: str) -> None:
    assert scrub(properties, event) == (properties, [])


def test_a_conversation_turn_is_a_message_whatever_it_is_called() -> None:
    turns = [{"role": "user", "content": TEXT}, {"role": "assistant", "content": "..."}]
    gemini = [{"role": "user", "parts": [{"text": TEXT}]}]
    turn = {"role": "user", "content": TEXT}
    properties, removed = scrub({"history": turns, "contents": gemini, "turn": turn, "n": 2})
    assert properties == {"history": [], "contents": [], "n": 2}
    assert removed == [
        ("properties.history[0]", M, "value:message_record"),
        ("properties.history[1]", M, "value:message_record"),
        ("properties.contents[0]", M, "value:message_record"),
        ("properties.turn", M, "value:message_record"),
    ]


AXES_PLACED = [
    {"fix": {"x": 139.745433, "y": 35.658581, "acc": 5}},
    {"位置": {"x": 139.745433, "y": 35.658581}},
    {"map_center": {"x": 139.745433, "y": 35.658581}},
    {"trail": [{"la": 35.658581, "lo": 139.745433, "t": 1}]},
    {"geo": {"lt": 35.658581, "lg": 139.745433}},
    {"p": {"la": 35.6586, "ln": 139.7454}},
]


@pytest.mark.parametrize("properties", AXES_PLACED)
def test_sibling_numbers_named_like_axes_are_a_position(properties: dict[str, Any]) -> None:
    scrubbed, removed = scrub(properties)
    assert "35.658" not in json.dumps(scrubbed, ensure_ascii=False)
    assert len(removed) == 2 and {(c, r) for _, c, r in removed} == {(L, "value:coordinates")}


AXES_ELSEWHERE = [
    {"click": {"x": 120.5, "y": 300.25}},
    {"position": {"x": 56.78125, "y": 42.890625}},
    {"click_position": {"x": 56.7812, "y": 42.8906}},
    {"touch_point": [12.3456, 45.6789]},
    {"place": {"temp": 21.5432, "humidity": 45.1234}},
    {"fix": {"x": 139.7, "y": 35.6}},
    {"la": 35.6585, "lo": 139.74},
    {"map": {"zoom": 14.5, "bearing": 12.3456, "pitch": 45.6789}},
]


@pytest.mark.parametrize("properties", AXES_ELSEWHERE)
def test_numbers_that_are_not_a_position_pass(properties: dict[str, Any]) -> None:
    assert scrub(properties) == (properties, [])


def test_a_pair_under_a_place_needs_less_precision() -> None:
    assert scrub({"center": [139.745, 35.658]})[1] == [
        ("properties.center", L, "value:coordinates")
    ]
    assert scrub({"segment": [12.345, 67.891]})[1] == []


# --- records judged whole -------------------------------------------------------------------

CN_CONTACT = {
    "identifier": "410FE041-5C4E-48DA-B4DE-04C15EA3DBAC:ABPerson",
    "givenName": "Taro",
    "familyName": "Yamada",
    "phoneNumbers": [{"label": "_$!<Mobile>!$_", "value": {"stringValue": "090-1111-2222"}}],
}
RECORDS = [
    ({"picked": CN_CONTACT}, ("properties.picked", C, "value:contact_record")),
    (
        {"result": {"display_name": "Taro", "data1": "090-1111-2222", "lookup": "0r1-2A"}},
        ("properties.result", C, "value:contact_record"),
    ),
    (
        {"friends": {"c1": {"name": "Taro", "phone": "090-1111-2222"},
                     "c2": {"name": "Hanako", "phone": "080-3333-4444"}}},
        ("properties.friends", C, "value:contact_list"),
    ),
    (
        {"people": [{"display_name": "Taro", "number": "090-1111-2222"},
                    {"display_name": "Hanako", "number": "+81 80 3333 4444"}]},
        ("properties.people", C, "value:contact_list"),
    ),
    (
        {"友だち": [{"ｎａｍｅ": "太郎", "ｐｈｏｎｅ": "090-1111-2222"},
                   {"ｎａｍｅ": "花子", "ｐｈｏｎｅ": "080-3333-4444"}]},
        ("properties.友だち", C, "value:contact_list"),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("properties", "expected"), RECORDS)
def test_records_that_are_address_book_entries(
    properties: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    assert scrub(properties) == ({}, [expected])


NOT_RECORDS = [
    {"traits": {"name": "Hanako", "email": "hanako@example.jp", "phone": "090-1234-5678"}},
    {"addresses": {"billing": {"name": "Taro", "phone": "090-1111-2222"},
                   "shipping": {"name": "Taro", "phone": "090-1111-2222"}}},
    {"orders": [{"name": "Order A", "id": "0000123456789"}, {"name": "Order B", "id": "0000987"}]},
    {"packages": [{"name": "Box 1", "tracking": "1234-5678-9012"},
                  {"name": "Box 2", "tracking": "2345-6789-0123"}]},
    {"context": {"app": {"name": "Example"}, "library": {"name": "analytics-ios"}}},
    {"hotlines": ["0120-924-721", "0120-700-779", "03-5860-7565"]},
]  # fmt: skip


@pytest.mark.parametrize("properties", NOT_RECORDS)
def test_the_customers_own_details_and_lookalikes_pass(properties: dict[str, Any]) -> None:
    assert scrub(properties) == (properties, [])


# --- notations ------------------------------------------------------------------------------

SHAPES = [
    ("３５．６５８５８１，１３９．７４５４３３", L, "value:coordinates"),
    ("fix: 35,658581; 139,745433", L, "value:coordinates"),
    ("35 deg 39' 30.89\" N, 139 deg 44' 43.56\" E", L, "value:coordinates"),
    ("$GPGGA,093012.00,3539.51486,N,13944.72598,E,1,08,0.9,40.2,M", L, "value:coordinates"),
    ("Meet at 8Q7XJPR2+FG near the gate", L, "value:coordinates"),
    ("///index.home.raft", L, "value:what3words"),
    ('last fix: {"latitude":35.658581,"longitude":139.745433}', L, "value:coordinates"),
    ("{'lat': 35.658581, 'lng': 139.745433}", L, "value:coordinates"),
    ('{"lat": 35.658581, "lng": 139.745433}\n', L, "value:coordinates"),
    ("I'm at 48.858370, 2.294481", L, "value:coordinates"),
    ("https://www.google.com/maps/place/X/data=!3m1!4b1!8m2!3d35.658581!4d139.745433", L,
     "value:coordinates"),
    ("https://www.google.com/maps/@35.658581%2C139.745433%2C17z", L, "value:coordinates"),
    ("https://plus.codes/8Q7XJPR2+FG", L, "value:coordinates"),
    ("https://app.example/#/@35.658581,139.745433", L, "value:coordinates"),
    (base64.urlsafe_b64encode(b'{"lat":35.658581,"lng":139.745433}').decode(), L,
     "value:embedded_json"),
    ("sms:+819012345678?&body=" + quote(TEXT), M, "value:message_uri"),
    ("mailto:taro@example.com?subject=Hi&body=" + quote(TEXT), M, "value:message_uri"),
    ("{'message': {'text': '" + TEXT + "'}}", M, "value:embedded_json"),
    ("\ufeffBEGIN:VCARD\r\nFN:Taro\r\nTEL:090-1111-2222\r\nEND:VCARD", C, "value:vcard"),
    ("Contact:\nBEGIN:VCARD\nFN:Taro\nTEL:090-1111-2222\nEND:VCARD", C, "value:vcard"),
    ('<vcards xmlns="urn:ietf:params:xml:ns:vcard-4.0"><vcard><fn><text>T</text></fn></vcard>',
     C, "value:vcard"),
    ("090-1111-2222,080-3333-4444,070-5555-6666", C, "value:contact_list"),
    ("a@example.com; b@example.com; c@example.org", C, "value:contact_list"),
    ("image/jpeg;base64," + JPEG_B64, P, "value:base64_media"),
    ("base64:" + JPEG_B64, P, "value:base64_media"),
    (quote(JPEG_B64, safe=""), P, "value:base64_media"),
    (base64.b64encode(BMP).decode(), P, "value:base64_media"),
    (base64.b64encode(gzip.compress(JPEG)).decode(), P, "value:base64_media"),
    ("\n".join(JPEG_B64[i : i + 76] for i in range(0, len(JPEG_B64), 76)), P,
     "value:base64_media"),
    ("0x" + JPEG.hex(), P, "value:hex_media"),
    ("--B\r\nContent-Disposition: form-data; name=\"f\"\r\nContent-Type: image/heic\r\n\r\nx", P,
     "value:multipart"),
    ("F2A9B3C1-0D4E-4F5A-8B6C-7D8E9F0A1B2C/L0/001", P, "value:media_path"),
    ("C:\\Users\\taro\\Pictures\\Camera Roll\\IMG_0001.JPG", P, "value:media_path"),
]  # fmt: skip


@pytest.mark.parametrize(("value", "category", "rule"), SHAPES, ids=lambda v: str(v)[:40])
def test_notations_under_an_innocent_key(value: str, category: str, rule: str) -> None:
    assert scrub({"note": value, "keep": 1}) == ({"keep": 1}, [("properties.note", category, rule)])


LOOKALIKES = [
    "65.1234, 66.2345",
    "82.1234, 91.5678",
    "48.8584, 2.2945",
    "Progress 45.123, 78.456",
    "USD/JPY 155.321",
    "Price 1,2345; 2,3456",
    "5.2.1+20260501",
    "ABCDEFGH+12 and 12345678+90",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEiLCJpYXQiOjE3MTQ1NTAwMDB9.c2ln",
    "{'step': 2, 'ok': True}",
    "[Sale] Don't miss it [x]",
    "mailto:support@example.com?subject=Order%205031",
    "sms:+81120924721",
    "Qk9PS19JRF8xMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMg==",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host",
    "0120-924-721, 0120-700-779, 03-5860-7565",
    "Call 03-1234-5678 or 03-2345-6789",
    "C:\\Users\\taro\\Documents\\report.pdf",
    "https://help.example.com/chat?lang=ja&topic=billing",
    "https://shop.example.com/search?text=red+shoes&page=2",
]


@pytest.mark.parametrize("value", LOOKALIKES, ids=lambda v: str(v)[:40])
def test_lookalikes_pass(value: str) -> None:
    assert scrub({"note": value, "list": [value]}) == ({"note": value, "list": [value]}, [])


URLS = [
    (
        "https://app.example.com/#/chat?room=1&draft=" + quote(TEXT),
        "https://app.example.com/#/chat?room=1",
        [("#draft", M)],
    ),
    ("https://line.me/R/msg/text/?" + quote(TEXT), "https://line.me/R/msg/text/", [("?*", M)]),
    (
        "https://api.whatsapp.com/send?phone=8190&text=" + quote(TEXT),
        "https://api.whatsapp.com/send?phone=8190",
        [("?text", M)],
    ),
    (
        "https://s.example/login?return_to="
        + quote(quote("https://maps.google.com/?q=35.658581,139.745433", safe=""), safe=""),
        "https://s.example/login",
        [("?return_to", L)],
    ),
    (
        "https://www.openstreetmap.org/?mlat=35.65858&mlon=139.74543#map=18/35.65858/139.74543",
        "https://www.openstreetmap.org/",
        [("?mlat", L), ("?mlon", L), ("#map", L)],
    ),
    (
        "https://s.example/invite?to=090-1111-2222%2C080-3333-4444%2C070-5555-6666&src=app",
        "https://s.example/invite?src=app",
        [("?to", C)],
    ),
]


@pytest.mark.parametrize(("url", "kept", "removed"), URLS, ids=lambda v: str(v)[:50])
def test_url_parameters(url: str, kept: str, removed: list[tuple[str, str]]) -> None:
    properties, removals = scrub({"u": url})
    assert properties == {"u": kept}
    assert [(path, category) for path, category, _ in removals] == [
        ("properties.u" + suffix, category) for suffix, category in removed
    ]


def test_a_page_search_is_judged_as_the_query_of_its_url() -> None:
    url = "https://wa.me/819012345678?text=" + quote(TEXT)
    page = {"url": url, "search": "?text=" + quote(TEXT), "path": "/819012345678"}
    event = {"type": "page", "name": "Share", "context": {"page": page}}
    removals = Scrubber().scrub(event)
    assert event["context"]["page"] == {
        "url": "https://wa.me/819012345678",
        "search": "",
        "path": "/819012345678",
    }
    assert [r.path for r in removals] == ["context.page.url?text", "context.page.search?text"]


MEDIA_KEYS = [
    ({"image": "spring_banner.jpg"}, []),
    ({"video": "math-3-unit2-intro"}, []),
    ({"video": "vid_8731"}, []),
    ({"image_preview": "p1.jpg"}, []),
    ({"photo": "Photo by Taro Yamada"}, []),
    ({"画像": "なし", "動画": "あり"}, []),
    ({"message": {"id": "m-99", "type": "sticker", "length": 12}}, []),
    ({"photo": "IMG_0001.HEIC"}, [("properties.photo", P, "key_name")]),
    ({"video": "VID_20260501_093012.mp4"}, [("properties.video", P, "key_name")]),
    ({"image_data": "spring_banner.jpg"}, [("properties.image_data", P, "key_name")]),
    ({"photo": "/DCIM/Camera/x y.jpg"}, [("properties.photo", P, "value:media_path")]),
    ({"message": {"id": "m-99", "text": "hi"}}, [("properties.message", M, "key_name")]),
    ({"geolocation": {"accuracy": 5}}, [("properties.geolocation", L, "key_name")]),
]


@pytest.mark.parametrize(("properties", "removed"), MEDIA_KEYS, ids=lambda v: str(v)[:40])
def test_names_captions_flags_and_metadata_under_category_keys(
    properties: dict[str, Any], removed: list[tuple[str, str, str]]
) -> None:
    kept = {
        k: v for k, v in properties.items() if f"properties.{k}" not in {p for p, _, _ in removed}
    }
    assert scrub(properties) == (kept, removed)


def test_signed_java_bytes_are_media_bytes() -> None:
    signed = [b - 256 if b > 127 else b for b in JPEG[:40]]
    assert scrub({"bytes_": signed})[1] == [("properties.bytes_", P, "value:media_bytes")]


def test_a_jcard_is_a_vcard() -> None:
    card = ["vcard", [["fn", {}, "text", "Taro"], ["tel", {}, "uri", "tel:+81-90-1111-2222"]]]
    assert scrub({"card": card})[1] == [("properties.card", C, "value:vcard")]


def test_a_message_in_a_bare_query_is_masked_in_the_report() -> None:
    properties = {"u": "https://line.me/R/msg/text/?" + quote(TEXT), "text": TEXT}
    removals = Scrubber().scrub({"type": "track", "event": "DM Sent", "properties": properties})
    assert removals == [
        Removal("properties.u?*", M, "url_param"),
        Removal("properties.text", M, "key_context"),
    ]


# --- robustness: every decoder and pattern stays linear and never raises --------------------

PATHOLOGICAL = [
    "a_" * 31 + "!",  # a slug under `image`: overlapping classes backtracked exponentially
    "35" + " " * 4000 + "°",  # competing optional spaces around a degree sign: cubic
    "lat=1.1234" + " " * 4000 + "x",
    "0" + "\n " * 2000,
    "1° 2' " * 600,
    "!3d" * 1300,
    "/9j/" + "３" * 100,  # non-ASCII after a base64 prefix
    "eyJ" + "é" * 100,
    "{'a': " * 3000 + "1" + "}" * 3000,
    "[" * 5000 + "]" * 5000,
    "北緯1度1分" * 800,  # Japanese notation: bounded gaps between the two axes
    "北緯1.123" * 500 + "東経",
    "</" + "<a " * 1500,  # XML read as labels
    "1.1234|" * 600,
]


@pytest.mark.parametrize("value", PATHOLOGICAL, ids=lambda v: repr(v[:12]))
def test_pathological_strings_are_scanned_quickly(value: str) -> None:
    # Not a speed test (make bench is one): each takes 1-15 ms, while the backtracking each
    # guards against grows cubically or exponentially with these lengths, so a bound over
    # 100 times the normal cost still fails on a regression and not on a busy machine.
    started = time.perf_counter()
    scrub({"note": value, "image": value[:64], "u": "https://x.example/?q=" + quote(value)})
    assert time.perf_counter() - started < 2.0


def test_python_reprs_become_json_types_before_the_walk() -> None:
    book = (
        "{1: {'name': 'Taro', 'phone': '090-1111-2222'}, "
        "2: {'name': 'Jiro', 'phone': '080-3333-4444'}}"
    )
    assert scrub({"raw": book})[1] == [("properties.raw", C, "value:embedded_json")]
    odd = "{'b': b'x', 's': {1, 2}, 'c': 1j, 't': (1, 2)}"
    assert scrub({"raw": odd}) == ({"raw": odd}, [])


def test_a_key_that_is_data_is_judged_so_whoever_looks_it_up_first() -> None:
    """A sibling of `long` is classified while `long` is judged; that lookup must not cache
    the data key `"35.658581,139.745433"` as an ordinary key."""
    scrubber = Scrubber()
    scrub({"long": 139.7454, "35.658581,139.745433": 1}, scrubber=scrubber)
    properties, removed = scrub({"35.658581,139.745433": 1, "ok": 1}, scrubber=scrubber)
    assert properties == {"ok": 1}
    assert removed == [("properties.*", L, "value:coordinates")]


def test_a_list_is_judged_again_once_items_went() -> None:
    vcard = "BEGIN:VCARD\nFN:Taro\nEND:VCARD"
    properties, removed = scrub({"v": [35.658581, vcard, 139.745433], "ok": 1})
    assert properties == {"ok": 1}
    assert removed == [("properties.v", L, "value:coordinates")]


def test_a_category_object_is_judged_again_once_parts_went() -> None:
    image = {"url": "/img/a.jpg", "lat": 35.658581, "caption": "x"}
    properties, removed = scrub({"image": image, "ok": 1})
    assert properties == {"image": {"url": "/img/a.jpg", "caption": "x"}, "ok": 1}
    assert removed == [("properties.image.lat", L, "key_name")]
    selfie = {"src": "/DCIM/Camera/IMG_0001.JPG", "alt": "me"}  # a path, not a hosted file
    assert scrub({"selfie": selfie}) == ({}, [("properties.selfie", P, "key_name")])
