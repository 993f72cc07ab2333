"""The recognisers of `gateway/policy/forbidden/`: each prefilter is a superset of its judge
(proven on random text and on every positive the encoders make), and the decisions the
recognisers take on the edges (store lists, company numbers, IDs shaped like cells)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.config.schema import PolicyFile, SourceConfig
from gateway.policy.consent.resolver import RequestSignals
from gateway.policy.engine import PolicyEngine
from gateway.policy.forbidden.detectors.identifiers import IpTruncator
from gateway.policy.forbidden.registry import RECORDS, STRINGS, UNREADABLE
from gateway.policy.forbidden.sweep import TIMESTAMP, WORD_GATE, WORDISH
from gateway.policy.forbidden.walk import Scrubber
from tests.policy.corpus import encoders as enc
from tests.policy.corpus import forbidden_shapes as fs

CORPUS = Path(fs.__file__).parent / "forbidden.json"
CORPUS_STRINGS = [
    c
    for row in json.loads(CORPUS.read_text(encoding="utf-8"))
    for c in row["canaries"]
    if isinstance(c, str)
]
SAMPLES = [
    "xn76urx66",
    "8928308280fffff",
    "54SUE8503143741",
    "Taro Yamada,090-1234-5678\nHanako Sato,080-2345-6789",
    "From: a@example.jp\nTo: b@example.jp\nSubject: hi\n\nSee you at the station at 7",
]
lat = st.floats(min_value=-85, max_value=85).filter(lambda v: abs(v) > 1.5)
lng = st.floats(min_value=-179, max_value=179).filter(lambda v: abs(v) > 1.5)


def positives(point: tuple[float, float]) -> list[str]:
    a, b = round(point[0], 5), round(point[1], 5)
    trace = [(a, b), (a + 0.001, b + 0.002), (a + 0.002, b + 0.003)]
    return [
        enc.polyline(trace),
        enc.polyline(trace, 6),
        enc.quadkey(a, b, 16),
        enc.wkb_point_hex(a, b),
        enc.wkb_point_hex(a, b, srid=False),
        f"POINT({b} {a})",
        f"SRID=4326;LINESTRING({b} {a}, {b + 0.01} {a + 0.01})",
    ]


@pytest.mark.parametrize("recogniser", STRINGS + UNREADABLE, ids=lambda r: r.name)
@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_prefilter_is_a_superset_of_its_judge_on_any_text(recogniser: Any, text: str) -> None:
    if recogniser.judge(text) is not None:
        assert recogniser.prefilter(text)


@pytest.mark.parametrize("recogniser", STRINGS, ids=lambda r: r.name)
@settings(deadline=None)  # timed by the budget tests, not per example
@given(point=st.tuples(lat, lng))
def test_prefilter_is_a_superset_of_its_judge_on_positives(recogniser: Any, point: Any) -> None:
    for text in [*positives(point), *CORPUS_STRINGS, *SAMPLES]:
        if recogniser.judge(text) is not None:
            assert recogniser.prefilter(text), text[:40]


@pytest.mark.parametrize("recogniser", STRINGS, ids=lambda r: r.name)
def test_every_recogniser_condemns_something(recogniser: Any) -> None:
    """Every registry entry is live: some corpus value or encoder output is its positive."""
    samples = [*positives((35.681236, 139.767125)), *CORPUS_STRINGS, *SAMPLES]
    assert any(recogniser.judge(t) is not None for t in samples if recogniser.prefilter(t))


def scrub(value: Any, key: str = "note") -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    event = {"type": "track", "properties": {key: value, "plan": "pro"}}
    removed = Scrubber(ips=IpTruncator(24, 48)).scrub(event)
    return event, [(r.path, r.category, r.rule) for r in removed]


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (
            enc.polyline([(35.68, 139.76), (35.681, 139.762), (35.683, 139.765)]),
            "location.polyline",
        ),
        ("8928308280fffff", "location.h3"),
        ("54SUE8503143741", "location.grid"),
        ("SRID=4326;POINT(139.76 35.68)", "location.wkt"),
        ("Taro Yamada,090-1234-5678\nHanako Sato,080-2345-6789", "contacts.text"),
        ("b'\\xff\\xd8\\xff\\xe0\\x00\\x10JFIF\\x00\\x01'", "media.notation"),
        (
            "From: a@example.jp\nTo: b@example.jp\nSubject: hi\n\nSee you at the station at 7",
            "messages.text",
        ),
    ],
)
def test_a_removal_names_its_recogniser_and_rule(value: str, rule: str) -> None:
    event, removed = scrub(value)
    assert event["properties"] == {"plan": "pro"}
    assert len(removed) == 1 and removed[0][0] == "properties.note"
    assert removed[0][2].startswith(rule + ":")


@pytest.mark.parametrize(
    "value",
    [
        "Call 03-1234-5678 or 03-2345-6789",  # names nobody: a company's instruction
        "店舗,電話\n渋谷店,03-1234-5678\n新宿店,03-2345-6789",  # a store list
        [
            {"store_name": "六本木店", "tel": "03-5860-7565"},
            {"store_name": "渋谷店", "tel": "03-1234-5678"},
        ],
        [
            {"author": "Parent A", "text": "My child loves it"},
            {"author": "Parent B", "text": "Very helpful"},
        ],
        "xn76urx66",  # a geohash's shape, under a key that names no place: an ID
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "1330021123",  # a quadkey's alphabet, too coarse to be a fix
        "AaaaaAAAAAAA",  # a polyline's alphabet: a trace starting 0.00001° from the equator
        "AbcdeFGHJKLM",  # the same, from a word with a capital
        "aaaaAAAAAAAA",  # the same, on the prime meridian
    ],
)
def test_lookalikes_pass(value: Any) -> None:
    event, removed = scrub(value)
    assert removed == [] and event["properties"]["note"] == value


def test_a_geohash_under_a_key_naming_a_place_goes() -> None:
    assert scrub("xn76urx66", key="store_area")[1][0][2].startswith("location.geohash:")


def test_a_segment_batch_of_two_customers_is_not_an_address_book() -> None:
    calls = [
        {"type": "identify", "userId": f"u{i}", "traits": {"name": n, "email": e}}
        for i, (n, e) in enumerate(
            [("Jake Peterson", "j@example.com"), ("Cindy Gonzalez", "c@example.com")]
        )
    ]
    assert scrub(calls)[1] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from 203.0.113.57 via edge", "from 203.0.113.0 via edge"),
        ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::"),
        (
            "https://t.example.com/p?uip=198.51.100.23&e=1",
            "https://t.example.com/p?uip=198.51.100.0&e=1",
        ),
    ],
)
def test_every_full_ip_is_truncated_wherever_it_stands(text: str, expected: str) -> None:
    event, removed = scrub(text)
    assert event["properties"]["note"] == expected
    assert removed == [("properties.note", "ip_address", "identifiers.ip:full_address_truncated")]


@pytest.mark.parametrize(
    "text", ["Chrome/124.0.0.0 Safari", "10.0.19045.2965", "v1.2.3.4", "09:30:12"]
)
def test_versions_and_times_are_not_addresses(text: str) -> None:
    assert scrub(text)[1] == []


@pytest.mark.parametrize("key", ["version", "appVersion", "build_number", "firmware"])
def test_a_dotted_quad_under_a_version_key_is_a_version(key: str) -> None:
    assert scrub("10.2.0.15", key=key)[1] == []


def test_a_refused_ad_id_is_cut_out_of_every_string() -> None:
    idfa = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
    source = SourceConfig(id="app", write_key="test-key-0001", kind="ios")
    engine = PolicyEngine(PolicyFile(), [source])
    event = {
        "type": "track",
        "event": "Install",
        "context": {"device": {"advertisingId": idfa, "adTrackingEnabled": False}},
        "properties": {"click": f"https://app.example.com/c?idfa={idfa.lower()}&c=spring"},
    }
    decision = engine.evaluate(event, source, RequestSignals(), None)
    assert idfa.lower() not in orjson.dumps(decision.event).decode().lower()
    assert decision.event["properties"]["click"] == "https://app.example.com/c?idfa=&c=spring"


def test_base64_of_a_polyline_is_judged_decoded() -> None:
    line = enc.polyline([(35.68, 139.76), (35.681, 139.762), (35.683, 139.765), (35.684, 139.77)])
    blob = base64.b64encode(json.dumps({"route": line, "mode": "walk"}).encode()).decode()
    assert scrub(blob)[0]["properties"] == {"plan": "pro"}


@pytest.mark.parametrize(
    "recogniser", [r for r in STRINGS if not r.word_shaped], ids=lambda r: r.name
)
@settings(deadline=None)  # timed by the budget tests, not per example
@given(text=st.from_regex(r"[A-Za-z0-9_\-]{1,80}", fullmatch=True))
def test_only_word_shaped_recognisers_condemn_an_id_shaped_string(
    recogniser: Any, text: str
) -> None:
    """The sweep shows ID-shaped strings only to the word-shaped recognisers."""
    assert recogniser.judge(text) is None


def test_a_long_opaque_value_goes_unread_and_is_explained() -> None:
    blob = base64.b64encode(bytes(range(256)) * 2).decode()  # binary, no known format
    assert scrub(blob)[1] == [("properties.note", "unscanned", "encoded.opaque:undecodable_binary")]


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(("plain words " * 40).encode()).decode(),  # decodes to text: judged
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" * 2,  # digests
        base64.b64encode(bytes(range(150))).decode(),  # under the threshold: a token's size
    ],
)
def test_readable_or_short_encoded_values_are_kept(value: str) -> None:
    assert scrub(value)[1] == []


@pytest.mark.parametrize(
    "recogniser", [r for r in STRINGS if not r.plain_shaped], ids=lambda r: r.name
)
@settings(deadline=None)  # timed by the budget tests, not per example
@given(text=st.from_regex(r"[^0-9@:=%(\\~_\x00]{1,120}", fullmatch=True))
def test_only_plain_shaped_recognisers_condemn_plain_text(recogniser: Any, text: str) -> None:
    """The sweep shows text without digits or markup characters only to the plain-shaped."""
    assert recogniser.judge(text) is None


WORDISH_ALPHABETS = st.sampled_from(
    ["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_", "0123456789bcdefghjkmnpqrstuvwxyz",
     "0123456789abcdef", "0123", "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", "0123456789-_aZ"]
)  # fmt: skip


@pytest.mark.parametrize("recogniser", [r for r in STRINGS if r.word_shaped], ids=lambda r: r.name)
@settings(deadline=None)  # timed by the budget tests, not per example
@given(data=st.data())
def test_the_word_gate_passes_every_id_shaped_string_a_recogniser_condemns(
    recogniser: Any, data: Any
) -> None:
    alphabet = data.draw(WORDISH_ALPHABETS)
    text = data.draw(st.text(alphabet=alphabet, min_size=1, max_size=60))
    samples = [text, *(t for t in positives((35.68, 139.76)) + SAMPLES if WORDISH.fullmatch(t))]
    for sample in samples:
        if recogniser.judge(sample) is not None:
            assert WORD_GATE.fullmatch(sample), sample


@pytest.mark.parametrize("recogniser", STRINGS, ids=lambda r: r.name)
@settings(deadline=None)  # timed by the budget tests, not per example
@given(
    moment=st.datetimes(),
    separator=st.sampled_from("T "),
    zone=st.sampled_from(["Z", "+09:00", ""]),
)
def test_no_recogniser_condemns_a_timestamp(
    recogniser: Any, moment: Any, separator: str, zone: str
) -> None:
    """The sweep skips ISO 8601 timestamps (TIMESTAMP): sound only while none condemns one."""
    text = moment.isoformat(separator) + zone
    assert TIMESTAMP.fullmatch(text)
    assert recogniser.judge(text) is None


@pytest.mark.parametrize("recogniser", [r for r in STRINGS if not r.in_links], ids=lambda r: r.name)
@settings(deadline=None)  # timed by the budget tests, not per example
@given(scheme=st.sampled_from(["http://", "https://", "HTTPS://"]), rest=st.text(max_size=120))
def test_only_link_recognisers_condemn_a_link(recogniser: Any, scheme: str, rest: str) -> None:
    """The sweep shows http(s) links only to the recognisers marked in_links."""
    assert recogniser.judge(scheme + rest) is None


@pytest.mark.parametrize(
    "message",
    [
        {"handle_id": 12, "text": "are we still on for tonight?",
         "chat_identifier": "+819012345678"},
        {"FromUserName": "wxid_abc123", "ToUserName": "wxid_def456",
         "Content": "明日の会議は10時からです"},
        {"body": {"contentType": "text", "content": "See you at the station at 7"},
         "from": {"emailAddress": {"address": "a@example.com"}}},
        {"id": "18c", "threadId": "18c0", "snippet": "Hi Taro, the meeting moved to Friday"},
    ],
    ids=["imessage", "wechat", "graph", "gmail"],
)  # fmt: skip
def test_messages_from_platforms_no_corpus_names(message: dict[str, Any]) -> None:
    """Shapes kept out of the corpus: iMessage's chat.db rows, WeChat, Microsoft Graph and
    the Gmail API, found by a party's key words beside text."""
    event, removed = scrub(message)
    assert event["properties"] == {"plan": "pro"}
    assert removed[0][2] == "messages.platform:text_with_party"


def _dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value, *(d for v in value.values() for d in _dicts(v))]
    if isinstance(value, list):
        return [d for v in value for d in _dicts(v)]
    return []


CORPUS_DICTS = [d for row in json.loads(CORPUS.read_text(encoding="utf-8")) for d in _dicts(row)]


@pytest.mark.parametrize("judge", [j for j in RECORDS if j.key is not None], ids=lambda j: j.name)
@settings(deadline=None)
@given(extra=st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=40), st.integers())))
def test_a_record_judge_s_key_gate_is_a_superset(judge: Any, extra: dict[str, Any]) -> None:
    """The sweep runs a record judge only on dicts with a key its gate accepts: every dict
    the judge condemns (corpus records, alone and with random entries added) has one."""
    assert judge.key is not None
    for record in [extra, *CORPUS_DICTS, *({**extra, **d} for d in CORPUS_DICTS[:50])]:
        if judge.judge(record) is not None:
            assert any(judge.key(k) for k in record), judge.name
