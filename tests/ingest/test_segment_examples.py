"""The payloads of Segment's own documentation (../shared/testdata/segment-spec, see its
SOURCE.md) are accepted as Segment accepts them.

Every example with a `type` (or the legacy `action`) goes to /v1/batch, with an
anonymousId added when it has neither ID (the docs often leave both out, which the tracking
API refuses); the HTTP API examples go to the endpoint the docs post them to, with their
`writeKey` in the body. None is rejected. The published batch example carries the invalid
timestamp "2015-2-02T00:30:08.276Z": the gateway treats it as absent (timestamp =
receivedAt) instead of refusing the event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.app import create_app
from tests.conftest import TESTDATA
from tests.conftest import testdata as shared_testdata
from tests.ingest.helpers import SERVER_KEY, WEB_KEY, OutboxReader, TestClient, json_body
from tests.support.configs import webhook, write_config

FIELDS = ["type", "event", "name", "userId", "anonymousId", "timestamp", "receivedAt",
          "originalTimestamp", "messageId", "properties.**", "traits.**",
          "context.device.**"]  # fmt: skip


def _examples() -> list[dict[str, Any]]:
    path = TESTDATA / "segment-spec" / "examples.json"
    if not path.exists():
        return []
    examples: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["examples"]
    return examples


EXAMPLES = {example["id"]: example for example in _examples()}


@dataclass
class Gateway:
    client: TestClient
    outbox: OutboxReader


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    shared_testdata("segment-spec")
    directory = write_config(
        tmp_path_factory.mktemp("segment"),
        destinations=[webhook("hook", "https://hooks.example.net/in", fields=FIELDS)],
    )
    app = create_app(directory, run_worker=False)
    with TestClient(app) as client:
        yield Gateway(client, OutboxReader(client, app))


def request_for(example: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    payload = dict(example["payload"])
    if "batch" in payload:
        return "/v1/batch", {**payload, "writeKey": SERVER_KEY}
    if "type" in payload or "action" in payload:
        if not payload.get("userId") and not payload.get("anonymousId"):
            payload["anonymousId"] = "docs-anonymous-id"
        return "/v1/batch", {"batch": [payload], "writeKey": WEB_KEY}
    endpoint = example["http_endpoint"].rsplit("/", 1)[1]
    return f"/v1/{endpoint}", {**payload, "writeKey": SERVER_KEY}


def test_the_test_data_is_the_documented_set() -> None:
    shared_testdata("segment-spec")
    assert len(EXAMPLES) == 76
    kinds = [e["kind"] for e in EXAMPLES.values()]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "track": 59,
        "identify": 4,
        "page": 3,
        "screen": 3,
        "group": 3,
        "alias": 3,
        "batch": 1,
    }


@pytest.mark.parametrize("example_id", list(EXAMPLES) or ["absent"])
def test_segment_docs_example_is_accepted(gateway: Gateway, example_id: str) -> None:
    client = gateway.client
    path, document = request_for(EXAMPLES[example_id])
    response = client.post(
        path, content=json_body(document), headers={"content-type": "text/plain"}
    )
    assert (response.status_code, response.json()) == (200, {"success": True}), example_id


def test_all_typed_examples_in_one_batch(gateway: Gateway) -> None:
    client = gateway.client
    events = [
        request_for(example)[1]["batch"][0]
        for example in EXAMPLES.values()
        if "type" in example["payload"] or "action" in example["payload"]
    ]
    assert len(events) == 68
    response = client.post(
        "/v1/batch",
        content=json_body({"batch": events, "writeKey": WEB_KEY}),
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 200


def test_the_invalid_docs_timestamp_is_treated_as_absent(
    gateway: Gateway,
) -> None:
    client = gateway.client
    path, document = request_for(EXAMPLES["http-api-7"])
    document["batch"] = [
        {**item, "messageId": f"docs-batch-{i}"} for i, item in enumerate(document["batch"])
    ]
    assert client.post(path, content=json_body(document)).status_code == 200
    jake_identify, jake_track, cindy_identify, cindy_track = [
        gateway.outbox.find("messageId", f"docs-batch-{i}") for i in range(4)
    ]
    for cindy in (cindy_identify, cindy_track):  # "2015-2-02T00:30:08.276Z" counts as absent
        assert cindy["userId"] == "971mj8mk7p"
        assert cindy["timestamp"] == cindy["receivedAt"]
        assert "originalTimestamp" not in cindy
    # A valid historical timestamp is kept as sent (no sentAt, so no skew correction).
    assert (
        jake_identify["timestamp"]
        == jake_identify["originalTimestamp"]
        == "2012-12-02T00:30:08.276Z"
    )
    assert jake_track["timestamp"] == "2012-12-02T00:30:12.984Z"
    # The batch-level context of the example reaches every item.
    for item in (jake_identify, jake_track, cindy_identify, cindy_track):
        assert item["context"]["device"] == {"type": "phone", "name": "Apple iPhone 6"}


def test_the_docs_receivedat_is_replaced_by_the_servers(
    gateway: Gateway,
) -> None:
    client = gateway.client
    example = EXAMPLES["track-2"]["payload"]
    document = {"batch": [{**example, "messageId": "docs-track-2-again"}], "writeKey": WEB_KEY}
    assert client.post("/v1/batch", content=json_body(document)).status_code == 200
    delivered = gateway.outbox.find("messageId", "docs-track-2-again")
    assert delivered["receivedAt"] != example["receivedAt"]
    assert delivered["originalTimestamp"] == example["timestamp"]
