"""A messageId is the client's, and so can hold what the policy forbids (coordinates, say).
The gateway keeps it in the dedupe table, the outbox, the ledger and the debugger, so it
judges it as a value first: one the policy would remove or change is replaced by a keyed
digest of it. Real app, real SQLite file, events posted over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.intake.explain import Question, explain_event
from tests.ingest.helpers import TestClient
from tests.support.configs import APP_KEY, webhook, write_config

FIELDS = ["type", "event", "messageId", "anonymousId", "properties.**"]


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    destinations = [webhook("every", "http://127.0.0.1:9/a", fields=FIELDS)]
    return write_config(tmp_path_factory.mktemp("ids"), destinations=destinations)


@pytest.fixture(scope="module")
def client(directory: Path) -> Iterator[TestClient]:
    with TestClient(create_app(directory, run_worker=False)) as client:
        yield client


def post(client: TestClient, message_id: str, n: int = 1) -> dict[str, object]:
    event = {"type": "track", "event": "Viewed", "anonymousId": "anon-1",
             "messageId": message_id, "properties": {"n": n}}  # fmt: skip
    response = client.post("/v1/track", content=orjson.dumps(event), auth=(APP_KEY, ""),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 200, response.text
    return event


def queued(client: TestClient) -> dict[str, dict[str, object]]:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    claimed = client.portal.call(runtime.store.outbox.claim, "every", 1000, 0.001)
    return {entry.item.message_id: entry.item.payload for entry in claimed}


def stored_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in directory.glob("gateway.db*"))


def test_a_message_id_that_holds_coordinates_is_kept_as_a_digest_never_as_itself(
    client: TestClient, directory: Path
) -> None:
    first, second = "35.681236,139.767125", "34.702485,135.495951"
    post(client, first)
    post(client, second)
    post(client, first, n=2)  # a resend of the first: a duplicate, as any resend is
    ids = queued(client)
    kept = [m for m in ids if m.startswith("gw-m_")]
    assert len(kept) == 2, ids  # two events, two distinct keys: neither lost nor merged
    for message_id in kept:
        assert ids[message_id]["messageId"] == message_id  # what goes out is the digest
    for raw in (first, second):
        assert raw.encode() not in stored_bytes(directory)


def test_an_ordinary_message_id_is_the_clients(client: TestClient) -> None:
    post(client, "ajs-next-1733571234567-4f1c2d3e")
    assert "ajs-next-1733571234567-4f1c2d3e" in queued(client)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(
    st.builds("{:.5f},{:.5f}".format, st.floats(-89, 89), st.floats(-179, 179)),
    st.builds("geo:{:.4f},{:.4f}".format, st.floats(-89, 89), st.floats(-179, 179)),
    st.text(min_size=1, max_size=40),
))  # fmt: skip
def test_every_message_id_reaches_the_outbox_as_the_id_explain_names(
    client: TestClient, message_id: str
) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    event = post(client, message_id)
    question = Question(orjson.dumps(event), {}, APP_KEY, "testclient", None)
    [trace] = client.portal.call(explain_event, runtime.intake, runtime.sources, question)[
        "events"
    ]
    kept = trace["messageId"]
    ids = queued(client)
    assert kept in ids or trace["drop_code"] or not trace["destinations"][0]["send"]
    assert kept == message_id or (kept.startswith("gw-m_") and message_id not in ids)
