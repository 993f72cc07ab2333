"""`gateway explain` is the code that runs: for generated events, the payload explain says
each destination gets is the payload the edge commits to the outbox (real SQLite store,
events posted over HTTP to the real app)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.intake.explain import Question, explain_event
from tests.ingest.helpers import TestClient
from tests.support.configs import APP_KEY, WEB_KEY, WEB_ORIGIN, webhook, write_config

FIELDS = ["type", "event", "name", "messageId", "userId", "anonymousId", "properties.**",
          "traits.**", "context.ip", "context.userAgent", "context.page.*", "context.device.*",
          "context.os.*"]  # fmt: skip
DESTINATIONS = [
    webhook("every", "http://127.0.0.1:9/a", fields=FIELDS),
    webhook("ads", "http://127.0.0.1:9/b", fields=FIELDS, purposes=["advertising"]),
    webhook("pages", "http://127.0.0.1:9/c", fields=FIELDS, events={"types": ["page"]}),
]
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6),
    st.floats(-200, 200, allow_nan=False), st.text(max_size=30),
    st.sampled_from(["35.681236,139.767125", "203.0.113.77", "mailto:a@example.com",
                     "0000-0000", "https://shop.example.com/p?q=1&lat=35.6"]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
preferences = st.dictionaries(st.sampled_from(["analytics", "advertising"]), st.booleans())
events = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["track", "page", "screen", "identify"]),
        "event": st.sampled_from(["Order Completed", "Signed Up", "位置"]),
        "name": st.sampled_from(["Home", "Cart"]),
        "anonymousId": st.sampled_from(["anon-1", "anon-2"]),
        "properties": st.dictionaries(
            st.sampled_from(["plan", "revenue", "latitude", "lng", "note", "photo", "ip"]),
            values,
            max_size=4,
        ),
        "context": st.fixed_dictionaries(
            {},
            optional={
                "page": st.fixed_dictionaries({"path": st.sampled_from(["/", "/cart?x=1"])}),
                "device": st.fixed_dictionaries(
                    {"advertisingId": st.just("6D92078A-8246-4BA4-AE5B-76104861E7DC")},
                    optional={"adTrackingEnabled": st.booleans()},
                ),
                "consent": st.fixed_dictionaries({"categoryPreferences": preferences}),
            },
        ),
    }
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    directory = write_config(tmp_path_factory.mktemp("intake"), destinations=DESTINATIONS)
    with TestClient(create_app(directory, run_worker=False)) as client:
        yield client


def outbox_payloads(client: TestClient, message_id: str) -> dict[str, Any]:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    got = {}
    for destination in ("every", "ads", "pages"):
        for entry in client.portal.call(runtime.store.outbox.claim, destination, 100, 300):
            if entry.item.message_id == message_id:
                got[destination] = entry.item.payload
    return got


@pytest.mark.parametrize(("write_key", "headers"), [
    (APP_KEY, {}),
    (WEB_KEY, {"origin": WEB_ORIGIN, "user-agent": UA, "sec-gpc": "1"}),
])  # fmt: skip
def test_explain_names_the_payloads_the_outbox_receives(
    client: TestClient, write_key: str, headers: dict[str, str]
) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    compared = []

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(events)
    def check(event: dict[str, Any]) -> None:
        event = {**event, "messageId": f"m-{uuid.uuid4()}"}
        raw = orjson.dumps(event)
        signals = {k: v for k, v in headers.items() if k in ("sec-gpc", "dnt")}
        question = Question(raw, signals, write_key, "testclient", headers.get("user-agent"))
        explained = client.portal.call(explain_event, runtime.intake, runtime.sources, question)
        [trace] = explained["events"]
        said = {v["destination"]: v["payload"] for v in trace["destinations"] if v["send"]}
        response = client.post(
            "/v1/" + event["type"], content=raw, auth=(write_key, ""),
            headers={"content-type": "application/json", **headers},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        assert outbox_payloads(client, event["messageId"]) == said
        compared.append(len(said))

    check()
    assert sum(compared) > 0  # some events did reach destinations: the comparison had content
