"""The example payloads of Segment's own Spec docs (../shared/testdata/segment-spec), posted to
a real gateway process: each is accepted, and each event flows through delivery to a
receiver that gets only the fields its destination allows."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx

from tests.conftest import testdata as shared_testdata
from tests.e2e.stack import (
    ANALYTICS_FIELDS,
    Stack,
    disallowed_paths,
    forbidden_keys,
    leaf_paths,
    wait_for,
)
from tests.support.configs import SERVER_KEY

JSON = {"content-type": "application/json"}
IDENTITY = ("type", "event", "name", "userId", "anonymousId", "groupId", "previousId")


def examples() -> list[dict[str, Any]]:
    document = json.loads((shared_testdata("segment-spec") / "examples.json").read_text())
    found: list[dict[str, Any]] = document["examples"]
    return found


def completed(example: dict[str, Any], event: dict[str, Any], suffix: str) -> dict[str, Any]:
    """The event as an SDK would send it. Docs show fragments without IDs, which every SDK
    adds, and reuse one messageId across pages (the gateway would rightly drop repeats)."""
    event = copy.deepcopy(event)
    tag = f"{example['id']}{suffix}"
    event["messageId"] = f"{event['messageId']}-{tag}" if "messageId" in event else f"spec-{tag}"
    if not event.get("userId") and not event.get("anonymousId"):
        event["anonymousId"] = f"anon-{tag}"
    return event


def request_for(example: dict[str, Any]) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """Endpoint, body, and the events in it."""
    payload = example["payload"]
    if example["kind"] == "batch":
        batch = [completed(example, e, f"-{i}") for i, e in enumerate(payload["batch"])]
        return "/v1/batch", {**payload, "batch": batch}, batch
    event = completed(example, payload, "")
    return f"/v1/{example['kind']}", event, [event]


def identity(original: dict[str, Any], kind: str) -> dict[str, Any]:
    """What the receiver must show of the IDs and names: as sent, with the type the endpoint
    (or the legacy `action` key) implies."""
    expected = {k: original.get(k) for k in IDENTITY}
    expected["type"] = original.get("type") or original.get("action") or kind
    return expected


def subset(received: Any, sent: Any) -> bool:
    """Whether `received` holds only values `sent` had, at the same places."""
    if isinstance(received, dict):
        return isinstance(sent, dict) and all(
            k in sent and subset(v, sent[k]) for k, v in received.items()
        )
    if isinstance(received, list):
        return isinstance(sent, list) and len(received) == len(sent) and all(
            subset(r, s) for r, s in zip(received, sent, strict=True)
        )  # fmt: skip
    return bool(received == sent)


def removed_leaves(received: dict[str, Any], original: dict[str, Any]) -> list[str]:
    have = {".".join(p) for p in leaf_paths(received.get("properties", {}))}
    return [
        ".".join(p) for p in leaf_paths(original.get("properties", {})) if ".".join(p) not in have
    ]


def test_segment_docs_payloads_are_accepted_and_delivered_within_the_allow_list(
    stack: Stack,
) -> None:
    cases = examples()
    statuses: dict[str, int] = {}
    sent: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    with httpx.Client(base_url=stack.url, auth=(SERVER_KEY, ""), timeout=10) as client:
        for example in cases:
            path, body, events = request_for(example)
            response = client.post(path, content=json.dumps(body), headers=JSON)
            statuses[example["id"]] = response.status_code
            sent.update((e["messageId"], (example, e)) for e in events)
    refused = {k: v for k, v in statuses.items() if v != 200}
    received = wait_for(stack.analytics, lambda e: e.get("messageId") in sent, len(sent))

    assert refused == {}
    assert len(cases) == 76 and len(sent) == 79
    assert sorted(e["messageId"] for e in received) == sorted(sent)
    removed = {}
    for event in received:
        example, original = sent[event["messageId"]]
        example_id, kind = example["id"], example["kind"]
        assert disallowed_paths(event, ANALYTICS_FIELDS) == [], example_id
        assert forbidden_keys(event) == [], example_id
        assert {k: event.get(k) for k in IDENTITY} == identity(original, kind), example_id
        assert subset(event.get("properties", {}), original.get("properties", {})), example_id
        if removed_leaves(event, original):
            removed[example_id] = removed_leaves(event, original)
    # The one thing the policy takes out of Segment's own examples: the text a customer
    # wrote when sharing a product (message content). Product image URLs stay.
    assert removed == {"ecommerce-v2-23": ["share_message"], "ecommerce-v2-24": ["share_message"]}
    # The batch-level context of the HTTP API example reaches each of its events.
    batch = [e for e in received if e["messageId"].startswith("spec-http-api-7-")]
    assert [e["context"]["device"] for e in batch] == [{"type": "phone"}] * 4
