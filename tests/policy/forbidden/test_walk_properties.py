"""Property tests for the forbidden-category scrubber.

Ordinary events of random shape (dicts and arrays nested up to ~15 deep, innocent keys and
values) get forbidden data injected at random places: content under forbidden key names in
every spelling, values of every forbidden shape under innocent keys and inside arrays, and
forbidden parameters inside URLs. Then:
(a) no injected value survives anywhere in `orjson.dumps(event)`;
(b) everything else is exactly as before the injection (URLs byte for byte);
(c) scrubbing again removes nothing and changes nothing;
(d) with every category allowed, nothing is removed.
"""

from __future__ import annotations

import base64
import copy
import gzip
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.policy.forbidden.detectors.location import polyline
from gateway.policy.forbidden.keys import KeyClassifier
from gateway.policy.forbidden.walk import FORBIDDEN_CATEGORIES, Scrubber

INNOCENT_KEYS = [
    "name",
    "title",
    "sku",
    "price",
    "quantity",
    "brand",
    "variant",
    "coupon",
    "currency",
    "url",
    "path",
    "query",
    "note",
    "status",
    "plan",
    "level",
    "step",
    "value",
    "items",
    "data",
    "meta",
    "extra",
    "info",
    "tags",
    "options",
    "payload",
    "record",
    "entry",
    "details",
    "label",
    "id",
    "count",
    "total",
    "locale",
    "section",
    "campaign",
    "source",
    "medium",
    "screen",
    "device",
    "商品名",
    "価格",
    "数量",
    "カテゴリ",
    "備考",
    "userId",
    "orderId",
    "createdAt",
    "isMember",
]
INNOCENT_STRINGS = [
    "Monopoly: 3rd Edition",
    "Games",
    "JPY",
    "ja-JP",
    "Asia/Tokyo",
    "2026-05-01T09:30:12.345Z",
    "https://shop.example.com/products/1",
    "https://cdn.example.com/p/1.jpg",
    "/checkout/complete",
    "?utm_source=google&utm_medium=cpc",
    "https://x.example/?a=1&b=%20c#top",
    "算数ドリル 小学3年",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15",
    "premium",
    "hanako@example.com",
    "090-1234-5678",
    "507f1f77bcf86cd799439011",
    "G-32",
    "",
    "N/A",
    "10.15.7",
    "Version 1.234, 5.678",
    "data:text/plain,hello",
    "Tokyo",
    "東京都渋谷区",
]
CLEAN_URLS = [
    "https://shop.example.com/stores",
    "https://shop.example.com/stores?sort=near&page=2",
    "https://shop.example.com/p?utm_source=a%20b&x=1#frag",
    "?q=shoes&page=3",
    "https://app.example.com/?a=&&b",
]
# Key spellings: word lists joined in every case style, and Japanese keys as they are.
FORBIDDEN_WORDS = [
    ["gps", "latitude"],
    ["gps", "longitude"],
    ["lat"],
    ["lng"],
    ["lon"],
    ["latitude"],
    ["coordinates"],
    ["coords"],
    ["geolocation"],
    ["current", "location"],
    ["lat", "lng"],
    ["contacts"],
    ["contact", "list"],
    ["address", "book"],
    ["phonebook", "entries"],
    ["message", "body"],
    ["chat", "messages"],
    ["sms", "text"],
    ["email", "body"],
    ["messages"],
    ["photos"],
    ["video", "file"],
    ["attachments"],
    ["image", "data"],
    ["screenshot"],
    ["selfies"],
]
JAPANESE_KEYS = [
    "緯度",
    "経度",
    "位置情報",
    "現在地",
    "座標",
    "住所録",
    "アドレス帳",
    "電話帳",
    "連絡先",
    "メッセージ",
    "メッセージ本文",
    "本文",
    "チャット",
    "トーク",
    "写真",
    "画像",
    "動画",
    "添付",
    "添付ファイル",
]
MAGIC = [
    b"\xff\xd8\xff\xe0",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"RIFF\x10\x00\x00\x00WEBP",
    b"\x00\x00\x00\x18ftypheic",
    b"\x00\x00\x00\x20ftypisom",
    b"\x00\x00\x00\x14ftypqt  ",
]


def style(words: list[str], how: int) -> str:
    if how == 0:
        return "_".join(words)
    if how == 1:
        return words[0] + "".join(w.title() for w in words[1:])
    if how == 2:
        return "".join(w.title() for w in words)
    if how == 3:
        return "-".join(w.upper() for w in words)
    return " ".join(words)


forbidden_keys = st.one_of(
    st.builds(style, st.sampled_from(FORBIDDEN_WORDS), st.integers(0, 4)),
    st.sampled_from(JAPANESE_KEYS),
)
markers = st.integers(10_000, 99_999_999).map(lambda n: f"qx{n}zv")
plain_text = st.text(
    "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ ぁあいうえおアイウエオ", max_size=30
).filter(lambda text: polyline(text) is None)
"""Twelve or more mixed-case ASCII letters can decode as a GPS trace (`AbcdeFGHJKLM`: a
start and short steps) and are then taken for one; about 1% of such random strings are.
That recogniser's precision is measured on the corpus, not assumed here."""
innocent_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.integers(-(10**6), 10**6).map(lambda n: n / 100),
    st.sampled_from(INNOCENT_STRINGS),
    plain_text,
)
innocent_trees = st.recursive(
    innocent_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(INNOCENT_KEYS), children, max_size=5),
    ),
    max_leaves=25,
)


@st.composite
def deep_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A random tree under a chain of up to 12 dicts and arrays."""
    node: Any = draw(st.dictionaries(st.sampled_from(INNOCENT_KEYS), innocent_trees, max_size=6))
    for in_list in draw(st.lists(st.booleans(), max_size=12)):
        node = [node] if in_list else {draw(st.sampled_from(INNOCENT_KEYS)): node}
    return node if isinstance(node, dict) else {"wrapped": node}


@st.composite
def coordinates(draw: st.DrawFn) -> tuple[float, float]:
    """A position as a device writes it: five or six decimals (four-decimal pairs under 100
    pass on purpose: they are as often scores; see
    gateway/policy/forbidden/shapes/coordinates.py)."""

    def degree(limit: int) -> float:
        micro = draw(st.integers(1_000_000, limit * 1_000_000 - 1).filter(lambda n: n % 100))
        return micro / 1_000_000 * draw(st.sampled_from([1, -1]))

    return degree(89), degree(179)


def nmea(lat: float, lng: float) -> str:
    def part(value: float, width: int) -> str:
        degrees = int(abs(value))
        return f"{degrees:0{width}d}{(abs(value) - degrees) * 60:07.4f}"

    north, east = "N" if lat >= 0 else "S", "E" if lng >= 0 else "W"
    return f"$GPGGA,093012.00,{part(lat, 2)},{north},{part(lng, 3)},{east},1,08,0.9"


@dataclass
class Injection:
    value: Any
    found_by: list[str] = field(default_factory=list)  # substrings that must not survive


@st.composite
def shaped_values(draw: st.DrawFn) -> Injection:
    """A value that is forbidden whatever key it sits under."""
    lat, lng = draw(coordinates())
    marker = draw(markers)
    payload = draw(st.sampled_from(MAGIC)) + draw(st.binary(min_size=40, max_size=80))
    b64 = base64.b64encode(payload).decode()
    choices = [
        Injection(f"{lat!r}, {lng!r}", [repr(lat)]),
        Injection(f"{lat!r} {lng!r}", [repr(lat)]),
        Injection(f"geo:{lat!r},{lng!r}", [repr(lat)]),
        Injection(f"POINT({lng!r} {lat!r})", [repr(lat)]),
        Injection(f"I am at {lat!r}, {lng!r} now", [repr(lat)]),
        Injection([lat, lng], [repr(lat)]),
        Injection([lng, lat], [repr(lat)]),
        Injection("data:image/jpeg;base64," + b64, [b64[:40]]),
        Injection(b64, [b64[:40]]),
        Injection(f"BEGIN:VCARD\nVERSION:3.0\nFN:{marker}\nEND:VCARD", [marker]),
        Injection(f"/storage/emulated/0/DCIM/Camera/{marker}.jpg", [marker]),
        Injection(f"content://media/external/images/media/{marker}", [marker]),
        Injection(f"content://com.android.contacts/contacts/{marker}", [marker]),
        Injection(f"content://sms/inbox/{marker}", [marker]),
        Injection(f"ph://{marker}/L0/001", [marker]),
        Injection(f"assets-library://asset/asset.JPG?id={marker}", [marker]),
        Injection(f"file:///var/mobile/Media/DCIM/100APPLE/{marker}.HEIC", [marker]),
        Injection(orjson.dumps({"n": marker, "gps": {"lat": lat}}).decode(), [marker]),
        # Notations learnt after the adversarial review.
        Injection(nmea(lat, lng), [nmea(lat, lng)[17:27]]),
        Injection(f"{{'lat': {lat!r}, 'lng': {lng!r}, 'n': '{marker}'}}", [marker]),
        Injection(f'fix: {{"latitude": {lat!r}, "longitude": {lng!r}}} {marker}', [marker]),
        Injection(base64.urlsafe_b64encode(orjson.dumps({"lat": lat, "m": marker})).decode(),
                  [base64.urlsafe_b64encode(orjson.dumps({"lat": lat, "m": marker})).decode()]),
        Injection(f"sms:+8190{marker[2:-2]}?body=see%20you%20{marker}", [marker]),
        Injection(f"mailto:a@example.com?subject=x&body={marker}", [marker]),
        Injection(f"Card:\nBEGIN:VCARD\nFN:{marker}\nEND:VCARD", [marker]),
        Injection("image/jpeg;base64," + b64, [b64[:40]]),
        Injection("0x" + payload.hex(), [payload.hex()[:40]]),
        Injection(f"/storage/emulated/0/Pictures/{marker}.png", [marker]),
        Injection(f"C:\\Users\\x\\Pictures\\{marker}.jpg", [marker]),
        Injection({"role": "user", "content": marker}, [marker]),
    ]  # fmt: skip
    chosen = draw(st.sampled_from(choices))
    if isinstance(chosen.value, str) and draw(st.integers(0, 3)) == 0:
        encoded = draw(st.sampled_from(ENCODINGS))(chosen.value)  # encoded once more
        return Injection(encoded, [encoded])
    return chosen


ENCODINGS = [
    lambda text: quote(text, safe=""),
    lambda text: base64.b64encode(text.encode()).decode(),
    lambda text: base64.urlsafe_b64encode(text.encode()).decode().rstrip("="),
    lambda text: base64.b64encode(gzip.compress(text.encode())).decode(),
    lambda text: orjson.dumps(text).decode(),
]


@st.composite
def content_values(draw: st.DrawFn) -> Injection:
    """What a forbidden key may carry: text, arrays and objects (not flags or counts)."""
    marker = draw(markers)
    value = draw(st.sampled_from([marker, [marker], {"v": marker}, [{"text": marker}]]))
    return Injection(value, [marker])


@st.composite
def dirty_urls(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """(clean URL, the same URL with forbidden parameters inserted, values to look for)."""
    clean = draw(st.sampled_from(CLEAN_URLS))
    lat, lng = draw(coordinates())
    marker = draw(markers)
    params = draw(
        st.lists(
            st.sampled_from(
                [
                    (f"lat={lat!r}", repr(lat)),
                    (f"LNG={lng!r}", repr(lng)),
                    (f"ll={lat!r}%2C{lng!r}", repr(lat)),
                    (f"q={lat!r},{lng!r}", repr(lat)),
                    (f"message={marker}", marker),
                    (f"photo={marker}", marker),
                    (quote("緯度") + f"={lat!r}", repr(lat)),
                    (f"img={quote('data:image/png;base64,iVBORw0KGgo' + marker)}", marker),
                    (f"next={quote(f'https://b.example/?lat={lat!r}')}", repr(lat)),
                ]
            ),
            min_size=1,
            max_size=3,
        )
    )
    head, hash_mark, fragment = clean.partition("#")
    base, question, query = head.partition("?")
    parts = query.split("&") if question else []
    for param, _ in params:
        parts.insert(draw(st.integers(0, len(parts))), param)
    dirty = base + "?" + "&".join(parts) + hash_mark + fragment
    return clean, dirty, [found for _, found in params]


def containers(node: Any) -> list[Any]:
    found = [node] if isinstance(node, dict | list) else []
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        found.extend(containers(child))
    return found


@dataclass
class Scenario:
    clean: dict[str, Any]
    dirty: dict[str, Any]
    found_by: list[str]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    clean: dict[str, Any] = {"type": "track", "event": "Random", "properties": draw(deep_dicts())}
    urls = draw(st.lists(dirty_urls(), max_size=2))
    dicts = [c for c in containers(clean["properties"]) if isinstance(c, dict)]
    for index, (clean_url, _, _) in enumerate(urls):
        draw(st.sampled_from(dicts))[f"zz_link_{index}"] = clean_url
    dirty = copy.deepcopy(clean)
    found_by: list[str] = []
    for index, (_, dirty_url, values) in enumerate(urls):
        holder = next(c for c in containers(dirty) if f"zz_link_{index}" in c)
        holder[f"zz_link_{index}"] = dirty_url
        found_by.extend(values)
    targets = containers(dirty["properties"])
    for index in range(draw(st.integers(1, 6))):
        target = draw(st.sampled_from(targets))
        if isinstance(target, list):
            injection = draw(shaped_values())
            target.insert(draw(st.integers(0, len(target))), injection.value)
        elif draw(st.booleans()):
            injection = draw(content_values())
            target[draw(forbidden_keys)] = injection.value
        else:
            injection = draw(shaped_values())
            target[f"zz_note_{index}"] = injection.value
        found_by.extend(injection.found_by)
    return Scenario(clean, dirty, found_by)


SCRUBBER = Scrubber()
SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]  # busy CI runners


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW_OK)
@given(scenarios())
def test_injected_data_never_survives_and_nothing_else_changes(scenario: Scenario) -> None:
    event = copy.deepcopy(scenario.dirty)
    removals = SCRUBBER.scrub(event)
    dumped = orjson.dumps(event).decode()
    for value in scenario.found_by:
        assert value not in dumped  # (a)
    assert event == scenario.clean  # (b)
    assert removals
    assert orjson.dumps(event) == orjson.dumps(scenario.clean)  # (b), key order too
    assert SCRUBBER.scrub(event) == []  # (c)
    assert event == scenario.clean


@settings(max_examples=100, deadline=None, suppress_health_check=SLOW_OK)
@given(scenarios())
def test_scrub_is_idempotent(scenario: Scenario) -> None:
    once = copy.deepcopy(scenario.dirty)
    first = SCRUBBER.scrub(once)
    twice = copy.deepcopy(once)
    assert SCRUBBER.scrub(twice) == []
    assert twice == once
    assert all(r.category in FORBIDDEN_CATEGORIES for r in first)


@settings(max_examples=100, deadline=None, suppress_health_check=SLOW_OK)
@given(scenarios())
def test_everything_allowed_removes_nothing(scenario: Scenario) -> None:
    event = copy.deepcopy(scenario.dirty)
    assert SCRUBBER.scrub(event, frozenset(FORBIDDEN_CATEGORIES)) == []
    assert event == scenario.dirty


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW_OK)
@given(deep_dicts())
def test_innocent_events_pass_unchanged(properties: dict[str, Any]) -> None:
    event = {"type": "track", "properties": properties}
    before = copy.deepcopy(event)
    assert Scrubber().scrub(event) == []
    assert event == before


def test_innocent_keys_are_innocent() -> None:
    keys = KeyClassifier()
    assert [key for key in INNOCENT_KEYS if keys.classify(key) is not None] == []


# Every character `str.isspace()` accepts, plus the byte-order mark: text from Japanese
# forms often starts with an ideographic space (U+3000).
LEADING_SPACE = st.text(
    st.sampled_from([c for c in map(chr, range(0x3001)) if c.isspace()] + ["\ufeff"]),
    min_size=1, max_size=4,
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW_OK)
@given(LEADING_SPACE, st.text(max_size=40))
def test_any_text_is_judged_without_error_as_value_and_key(space: str, text: str) -> None:
    """Regression: a leading U+3000 or vertical tab sent the shape check into endless
    recursion (a 500 at the edge for an ordinary Japanese string)."""
    event = {"type": "track", "properties": {"note": space + text, space + text: 1}}
    SCRUBBER.scrub(event)
    assert SCRUBBER.scrub(event) == []


@settings(max_examples=100, deadline=None, suppress_health_check=SLOW_OK)
@given(LEADING_SPACE, st.sampled_from(["35.6812,139.7671", "geo:35.68,139.76"]))
def test_a_position_behind_any_leading_space_is_still_found(space: str, position: str) -> None:
    event = {"type": "track", "properties": {"note": space + position}}
    removals = SCRUBBER.scrub(event)
    assert [r.category for r in removals] == ["location"]
    assert "note" not in event["properties"]
