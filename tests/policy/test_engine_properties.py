"""Properties of the whole engine (enrich → policy → route), with forbidden values injected
into ordinary events at random paths and in random shapes:

- no injected value reaches any destination payload, the trace, the outbox (a real SQLite
  store: rows read back, and the database file's raw bytes), the logs or the metrics;
- each injected item is removed exactly where it was put, and nothing else changes: every
  destination receives what it receives for the same event without the injection.

Every injected value carries a unique canary (a random token or random coordinate digits)
that is searched for in everything the gateway wrote.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.destinations.registry import read_config
from gateway.policy.forbidden.walk import Scrubber
from tests.policy.corpus_ordinary import FORBIDDEN, ORDINARY, measure
from tests.policy.harness import MAGIC, WRITE_KEYS, Harness, TestClient, media_bytes, tc_string

# Keys and values of ordinary events: none of them is, names, or looks like forbidden data.
KEYS = ["product_id", "sku", "name", "brand", "variant", "price", "quantity", "coupon",
        "category", "title", "plan", "currency", "step", "label", "query", "tab", "color",
        "size", "rating", "status", "comment", "tags", "items", "options", "level"]  # fmt: skip
WORDS = ["Monopoly: 3rd Edition", "blue hotpants", "pro", "JPY", "Games", "カフェ", "東京",
         "https://shop.example.com/p/1", "/products/monopoly", "2026-05-01T09:30:12Z", "",
         "v5.2.1", "G-32", "sale", "ギフト", "送料無料"]  # fmt: skip
SCALARS = (
    st.sampled_from(WORDS)
    | st.text("abcdefghijklmnopqrstuvwxyz ", max_size=24)
    | st.integers(-1000, 100_000)
    | st.integers(0, 1_000_000).map(lambda n: n / 100)
    | st.booleans()
    | st.none()
)
TREE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=14,
)
PAGES = st.sampled_from(
    ["https://shop.example.com/", "https://shop.example.com/search?q=shoes&page=2",
     "https://app.example.com/#/lessons/12?tab=video"]
)  # fmt: skip

LOCATION, CONTACTS, MESSAGE, MEDIA = "location", "contacts", "message_content", "media"
COORD_KEYS = ["lat", "latitude", "gpsLatitude", "gps_lat", "GPS-Latitude", "緯度", "現在地緯度"]
PAIR_KEYS = ["coords", "latLng", "lat_lng", "coordinates", "geoPoint", "座標"]
MESSAGE_KEYS = [
    "message",
    "messageBody",
    "chat_messages",
    "sms-text",
    "emailBody",
    "メッセージ本文",
]
CONTACT_KEYS = ["contacts", "addressBook", "phone_book", "contact-list", "連絡先", "電話帳"]
MEDIA_KEYS = ["photo", "photos", "selfie", "videoFile", "attachments", "写真", "動画"]
URL_PARAMS = ["lat", "lng", "gps", "latitude", "ll"]
MEDIA_B64 = base64.b64encode(media_bytes("jpeg")).decode()
# caplog is reset per example; building events with nested trees is slow-ish by design.
SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@dataclass(frozen=True)
class Forbidden:
    value: Any
    canary: str
    category: str
    key: str | None = None  # set: forbidden by its key, only injectable into a dict


@st.composite
def tokens(draw: st.DrawFn) -> str:
    return "Q-" + draw(st.text("0123456789abcdef", min_size=10, max_size=10))


@st.composite
def coordinates(draw: st.DrawFn) -> tuple[float, float, str, str]:
    """A latitude and longitude with six decimals (the last non-zero), as floats and text."""
    lat = 35 + draw(st.integers(10_000, 999_999).filter(lambda n: n % 10)) / 1e6
    lng = 139 + draw(st.integers(10_000, 999_999).filter(lambda n: n % 10)) / 1e6
    return lat, lng, f"{lat:.6f}", f"{lng:.6f}"


@st.composite
def forbidden(draw: st.DrawFn) -> Forbidden:
    token = draw(tokens())
    lat, lng, lat_text, lng_text = draw(coordinates())
    raw = MAGIC[draw(st.sampled_from(sorted(MAGIC)))] + token.encode() + bytes(range(24))
    b64 = base64.b64encode(raw).decode()
    options = [
        Forbidden(lat, lat_text, LOCATION, draw(st.sampled_from(COORD_KEYS))),
        Forbidden([lat, lng], lat_text, LOCATION, draw(st.sampled_from(PAIR_KEYS))),
        Forbidden(f"see you at 7 {token}", token, MESSAGE, draw(st.sampled_from(MESSAGE_KEYS))),
        Forbidden([{"name": token, "tel": "090-1234-5678"}], token, CONTACTS,
                  draw(st.sampled_from(CONTACT_KEYS))),
        Forbidden(f"IMG_{token}.JPG", token, MEDIA, draw(st.sampled_from(MEDIA_KEYS))),
        Forbidden(f"{lat_text}, {lng_text}", lat_text, LOCATION),
        Forbidden([lat, lng], lat_text, LOCATION),
        Forbidden(f"geo:{lat_text},{lng_text}?z=15", lat_text, LOCATION),
        Forbidden(f"data:image/png;base64,{b64}", b64, MEDIA),
        Forbidden(b64, b64, MEDIA),
        Forbidden(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{token}\r\nEND:VCARD", token, CONTACTS),
        Forbidden(f"/storage/emulated/0/DCIM/Camera/IMG_{token}.jpg", token, MEDIA),
        Forbidden(f"content://media/external/images/media/{token}", token, MEDIA),
        Forbidden(f"ph://{token}-0D4E-4F5A/L0/001", token, MEDIA),
        Forbidden(f"file:///var/mobile/Media/DCIM/100APPLE/IMG_{token}.HEIC", token, MEDIA),
        Forbidden(f"content://com.android.contacts/contacts/lookup/{token}", token, CONTACTS),
        Forbidden(f"content://sms/inbox/{token}", token, MESSAGE),
    ]  # fmt: skip
    return draw(st.sampled_from(options))


@dataclass
class Injected:
    event: dict[str, Any]
    paths: set[tuple[str, str]]  # (removal path, category)
    canaries: list[str]


def containers(
    value: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(value, (dict, list)):
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            yield from containers(item, (*path, key))  # fmt: skip


def render(path: tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


@st.composite
def events(draw: st.DrawFn) -> tuple[dict[str, Any], Injected]:
    """An ordinary event, and the same event with 1-4 forbidden items injected."""
    clean: dict[str, Any] = {
        "type": "track",
        "event": "Order Completed",
        "messageId": str(draw(st.uuids())),
        "anonymousId": "a1",
        "properties": draw(st.dictionaries(st.sampled_from(KEYS), TREE, max_size=5)),
        "context": {"page": {"url": draw(PAGES)}, "app": {"name": "Example", "build": "5210"}},
    }
    event = copy.deepcopy(clean)
    places = [p for p in containers(event["properties"], ("properties",))]
    places.append((("context", "app"), event["context"]["app"]))
    paths: set[tuple[str, str]] = set()
    canaries: list[str] = []
    for index in range(draw(st.integers(1, 4))):
        if draw(st.integers(0, 5)) == 0 and len(URL_PARAMS) > index:
            path, canary = _inject_param(event, draw)
            paths.add((path, LOCATION))
            canaries.append(canary)
            continue
        item = draw(forbidden())
        canaries.append(item.canary)
        dicts = [p for p in places if isinstance(p[1], dict)]
        lists = [p for p in places if isinstance(p[1], list)] if item.key is None else []
        where, container = draw(st.sampled_from(dicts + lists))
        if isinstance(container, dict):
            key = item.key or f"f{index}"
            while key in container:
                key += "_"
            container[key] = copy.deepcopy(item.value)
            paths.add((render((*where, key)), item.category))
        else:
            container.append(copy.deepcopy(item.value))
            paths.add((render((*where, len(container) - 1)), item.category))
    return clean, Injected(event, paths, canaries)


def _inject_param(event: dict[str, Any], draw: st.DrawFn) -> tuple[str, str]:
    """A location parameter in the page URL; returns its removal path and its canary."""
    page = event["context"]["page"]
    name = draw(st.sampled_from([p for p in URL_PARAMS if f"{p}=" not in page["url"]]))
    _, _, lat, lng = draw(coordinates())
    param = f"{name}={lat},{lng}" if name == "ll" else f"{name}={lat}"
    url = page["url"]
    if "#" in url:
        page["url"] = url + ("&" if "?" in url.split("#", 1)[1] else "?") + param
        return f"context.page.url#{name}", lat
    page["url"] = url + ("&" if "?" in url else "?") + param
    return f"context.page.url?{name}", lat


def leaked(canaries: list[str], *texts: str) -> list[str]:
    return [c for c in canaries for text in texts if c in text]


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    harness = Harness(tmp_path_factory.mktemp("properties"))
    yield harness
    harness.close()


def test_injected_data_never_leaves_and_nothing_else_changes(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    store = harness.base.store
    database = Path(harness.base.config.gateway.storage.path)  # type: ignore[union-attr]
    seen: list[str] = []

    @settings(max_examples=120, deadline=None, suppress_health_check=SLOW_OK)
    @given(events())
    def check(pair: tuple[dict[str, Any], Injected]) -> None:
        clean, injected = pair
        seen.extend(injected.canaries)
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            baseline = harness.run(clean)
            run = harness.run(injected.event)
            items = run.runtime.pipeline.outbox_items(run.outcome, run.source, 0.0)
            harness.loop.run_until_complete(store.outbox.enqueue(items))
        assert baseline.removed == []
        assert {(path, category) for path, category, _ in run.removed} == injected.paths
        assert run.payloads == baseline.payloads
        rows = read_rows(database)
        texts = (dump(run.payloads), dump(run.outcome.trace()), rows, caplog.text)
        assert not leaked(injected.canaries, *texts)

    check()
    assert read_rows(database).count("\n") > 100  # the outbox was written, and read back
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert seen and not [c for c in seen if c.encode() in raw]


def read_rows(database: Path) -> str:
    """Every outbox row as the store wrote it, read back through a separate connection."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT destination, subject_keys, payload, meta FROM outbox"
        ).fetchall()
    return "\n".join(
        " ".join(col.decode() if isinstance(col, bytes) else str(col) for col in row)
        for row in rows
    )


# --- the HTTP edge: logs and /metrics of an in-process app ---------------------------------


@pytest.fixture(scope="module")
def client(harness: Harness) -> Iterator[TestClient]:
    directory = harness.config_dir(name="app", gateway={"worker": {"in_process": False}})
    app = create_app(read_config(directory), run_worker=False)
    with TestClient(app) as client:
        yield client


def test_nothing_injected_reaches_logs_metrics_or_the_outbox_through_http(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    database = Path(runtime.config.gateway.storage.path)
    auth = (WRITE_KEYS["ios"], "")
    seen: list[str] = []

    @settings(max_examples=25, deadline=None, suppress_health_check=SLOW_OK)
    @given(st.lists(events(), min_size=1, max_size=3))
    def check(pairs: list[tuple[dict[str, Any], Injected]]) -> None:
        canaries = [c for _, injected in pairs for c in injected.canaries]
        seen.extend(canaries)
        caplog.clear()
        body = {"batch": [injected.event for _, injected in pairs]}
        with caplog.at_level(logging.DEBUG):
            response = client.post("/v1/batch", content=orjson.dumps(body), auth=auth,
                                   headers={"content-type": "application/json"})  # fmt: skip
            metrics = client.get("/metrics").text
        assert response.status_code == 200, response.text
        assert not leaked(canaries, caplog.text, metrics, response.text, read_rows(database))

    check()
    assert read_rows(database)  # the outbox was written, and read back
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert seen and not [c for c in seen if c.encode() in raw]


# --- the detector corpora through the whole engine ----------------------------------------

ENRICHED = ("agent", "browser", "os", "device", "geo", "ip")  # context keys enrichment sets


def leaves(value: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(value, dict) and value:
        out: dict[tuple[str, ...], Any] = {}
        for key, item in value.items():
            out.update(leaves(item, (*path, key)))
        return out
    return {path: value}


def source_of(event: dict[str, Any]) -> str:
    return "ios" if "app" in event.get("context", {}) else "web"


def engine_figures(harness: Harness) -> tuple[int, int, int, int, int]:
    """(ordinary events unchanged, false removals, expected, found, removed) over the
    corpora of tests/policy/corpus_ordinary.py, run through enrich → policy → route."""
    unchanged = false_removals = expected = found = removed = 0
    for _, event in ORDINARY:
        run = harness.run(event, source=source_of(event))
        enriched = copy.deepcopy(event)
        harness.base.pipeline.enricher.enrich(enriched)
        false_removals += len(run.removed)
        unchanged += run.payloads["analytics"] == enriched and not run.removed
    for case in FORBIDDEN:
        run = harness.run(case.event, source=source_of(case.event))
        got = {(path, category) for path, category, _ in run.removed}
        expected += len(case.expected)
        found += len(got & case.expected)
        removed += len(got)
    return unchanged, false_removals, expected, found, removed + false_removals


def test_ordinary_events_pass_the_whole_engine_unchanged_but_for_enrichment(
    harness: Harness,
) -> None:
    assert len(ORDINARY) >= 40
    for name, event in ORDINARY:
        run = harness.run(event, source=source_of(event))
        assert run.removed == [], name
        payload = run.payloads["analytics"]
        assert payload is not None, (name, run.reasons)
        before, after = leaves(event), leaves(payload)
        changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        unexpected = [p for p in changed if p[:1] != ("context",) or p[1] not in ENRICHED]
        assert not unexpected, (name, sorted(unexpected))
        # Of the client's own fields only the IP (truncated) and geo (looked up) change.
        for path in changed & before.keys():
            assert path == ("context", "ip") or path[:2] == ("context", "geo"), (name, path)
        if "ip" in event.get("context", {}):
            assert payload["context"]["ip"] == event["context"]["ip"].rsplit(".", 1)[0] + ".0"


def test_the_engine_removes_exactly_what_the_scrubber_alone_removes(harness: Harness) -> None:
    unchanged, false_removals, expected, found, removed = engine_figures(harness)
    alone = measure(Scrubber())
    assert unchanged == len(ORDINARY) and false_removals == 0
    assert (expected, found, removed) == (alone.expected, alone.found, alone.removed)


# --- metrics: removals by category and rule, refusals by destination and reason ---------


def counters(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.endswith("_total")
    }


def test_removals_and_refusals_are_counted(client: TestClient) -> None:
    auth = (WRITE_KEYS["ios"], "")
    no_vendor = tc_string({"purposes": [1, 2, 3, 4, 7, 8, 9, 10], "vendors": [1]})
    batch = [
        {"type": "track", "event": "Run", "anonymousId": "m1",
         "properties": {"lat": 35.6812, "lng": 139.7671, "messageBody": "hi"}},
        {"type": "page", "name": "Stores", "anonymousId": "m1",
         "context": {"page": {"url": "https://shop.example.com/s?lat=35.6812&q=1"},
                     "device": {"advertisingId": "6D92078A-8246-4BA4-AE5B-76104861E7DC",
                                "adTrackingEnabled": False}}},
        {"type": "track", "event": "Buy", "anonymousId": "m1", "properties": {"blob": MEDIA_B64},
         "context": {"consent": {"tcf": no_vendor}}},
    ]  # fmt: skip
    before = counters(client)
    response = client.post(
        "/v1/batch",
        content=orjson.dumps({"batch": batch}),
        auth=auth,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    gpc = client.post(
        "/v1/track",
        content=orjson.dumps({"event": "Viewed", "anonymousId": "m2"}),
        auth=auth,
        headers={"content-type": "application/json", "sec-gpc": "1"},
    )
    assert gpc.status_code == 200
    after = counters(client)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    removed = "gateway_policy_fields_removed_total"
    assert delta(removed, category="location", rule="key_name") == 2
    assert delta(removed, category="location", rule="url_param") == 1
    assert delta(removed, category="message_content", rule="key_name") == 1
    assert delta(removed, category="media", rule="value:base64_media") == 1
    assert delta(removed, category="advertising_id", rule="ad_tracking_disabled") == 1
    refused = "gateway_events_not_forwarded_total"
    assert delta(refused, destination="ads", reason="tcf_vendor") == 1
    # GPC, and the page's limit-ad-tracking (adTrackingEnabled false) refuse advertising
    assert delta(refused, destination="ads", reason="purpose_not_granted") == 2
    assert delta(refused, destination="social", reason="purpose_not_granted") == 2
    assert delta(refused, destination="analytics", reason="purpose_not_granted") == 0
    total_removed = sum(v for (n, _), v in after.items() if n == removed)
    assert total_removed - sum(v for (n, _), v in before.items() if n == removed) == 6
