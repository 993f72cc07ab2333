"""Tracking plans against a real `gateway serve` and a real receiver: what a plan trims,
drops and counts is what reaches destinations; `gateway check` refuses a bad schema; a plan
inferred from a sample accepts that sample."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml

from tests.delivery.e2e import metric
from tests.support.configs import webhook, write_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

KEYS = {
    "strict": "plan-strict-key-01",
    "lenient": "plan-lenient-key-01",
    "blocking": "plan-blocking-key-01",
    "unplanned": "plan-unplanned-key-01",
}
ORDER = {
    "type": "object",
    "properties": {
        "total": {"type": "number"},
        "currency": {"enum": ["JPY", "USD"]},
        "note": {"type": "string"},
        "items": {
            "type": "array",
            "items": {"type": "object", "properties": {"sku": {"type": "string"}}},
        },
    },
    "required": ["total"],
}


def plan(name: str, violations: str) -> dict[str, Any]:
    return {
        "name": name,
        "unplanned_events": "drop",
        "unplanned_properties": "drop",
        "violations": violations,
        "events": {"Order Completed": {"properties": ORDER}},
    }


def plans_file(directory: Path, plans: list[dict[str, Any]]) -> None:
    (directory / "plans.yaml").write_text(yaml.safe_dump({"plans": plans}), encoding="utf-8")


def sources(plans: dict[str, str | None]) -> list[dict[str, Any]]:
    return [
        {"id": name, "write_key": KEYS[name], "kind": "server", "tracking_plan": plan}
        for name, plan in plans.items()
    ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, Receiver]]:
    receiver = Receiver()
    directory = write_config(
        tmp_path_factory.mktemp("plans") / "config",
        sources=sources(
            {
                "strict": "drop-property",
                "lenient": "allow",
                "blocking": "drop-event",
                "unplanned": "allow-unplanned",
            }
        ),
        destinations=[webhook("hook", receiver.url)],
    )
    lenient_events = {
        **plan("allow-unplanned", "allow"),
        "unplanned_events": "allow",
        "unplanned_properties": "allow",
    }
    plans_file(
        directory,
        [
            plan("drop-property", "drop_property"),
            plan("allow", "allow"),
            plan("drop-event", "drop_event"),
            lenient_events,
        ],
    )
    gateway = GatewayProcess(directory).start()
    try:
        yield gateway, receiver
    finally:
        gateway.stop()
        receiver.close()


def send(gateway: GatewayProcess, key: str, *events: dict[str, Any]) -> httpx.Response:
    batch = [{"anonymousId": "anon-1", **e} for e in events]
    return httpx.post(gateway.url + "/v1/batch", json={"batch": batch}, auth=(key, ""), timeout=5)


def order(message_id: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "messageId": message_id,
        "properties": properties,
    }


def received(receiver: Receiver, message_id: str, *, marker: str) -> dict[str, Any] | None:
    """The event `message_id` as delivered, once the marker event sent after it arrived
    (delivery is in order for one destination here: one worker, one poll)."""
    seen: dict[str, Any] = {}
    for _ in range(300):
        seen = {e["messageId"]: e for e in receiver.events()}
        if marker in seen:
            break
        time.sleep(0.02)
    assert marker in seen, "the marker event never arrived"
    return seen.get(message_id)


def test_a_planned_event_reaches_destinations_without_its_unplanned_property(
    stack: tuple[GatewayProcess, Receiver],
) -> None:
    gateway, receiver = stack
    sent = order(
        "p-extra",
        total=12.5,
        currency="JPY",
        coupon="SUMMER",
        items=[{"sku": "A-1", "engraving": "for Yuki"}],
    )
    assert send(gateway, KEYS["strict"], sent).status_code == 200
    got = receiver.wait_for(1) and received(receiver, "p-extra", marker="p-extra")
    assert got is not None
    assert got["properties"] == {"total": 12.5, "currency": "JPY", "items": [{"sku": "A-1"}]}
    counted = metric(
        gateway,
        "gateway_plan_findings_total",
        source="strict",
        event="Order Completed",
        reason="unplanned_property",
        action="removed",
    )
    assert counted == 2


def test_an_unplanned_event_is_dropped_answered_200_and_counted(
    stack: tuple[GatewayProcess, Receiver],
) -> None:
    gateway, receiver = stack
    secret = {
        "type": "track",
        "event": "Contacts Synced",
        "messageId": "u-1",
        "properties": {"count": 3},
    }
    response = send(gateway, KEYS["strict"], secret, order("u-marker", total=1))
    assert response.status_code == 200
    assert received(receiver, "u-1", marker="u-marker") is None
    labels = {"source": "strict", "event": "(unplanned)", "reason": "unplanned_event"}
    assert metric(gateway, "gateway_plan_findings_total", **labels, action="event_dropped") == 1
    assert metric(gateway, "gateway_events_dropped_total", reason="tracking_plan") == 1
    page = httpx.get(gateway.url + "/metrics", timeout=5).text
    assert "Contacts Synced" not in page  # a name from the payload is never a label


def test_a_batch_the_plan_drops_whole_is_still_answered_200(
    stack: tuple[GatewayProcess, Receiver],
) -> None:
    gateway, _ = stack
    unplanned = {"type": "track", "event": "Nobody Declared", "messageId": "w-1"}
    assert send(gateway, KEYS["strict"], unplanned).status_code == 200


def test_an_unplanned_event_passes_when_the_plan_allows_it(
    stack: tuple[GatewayProcess, Receiver],
) -> None:
    gateway, receiver = stack
    other = {
        "type": "track",
        "event": "Wishlist Added",
        "messageId": "a-1",
        "properties": {"sku": "B-2"},
    }
    assert send(gateway, KEYS["unplanned"], other, order("a-marker", total=1)).status_code == 200
    got = received(receiver, "a-1", marker="a-marker")
    assert got is not None and got["properties"] == {"sku": "B-2"}


BAD = {"type": "v-type", "enum": "v-enum", "required": "v-required"}


def bad(kind: str, prefix: str) -> dict[str, Any]:
    properties: dict[str, Any] = {"total": 10, "currency": "JPY", "note": "gift"}
    if kind == "type":
        properties["total"] = "ten"
    elif kind == "enum":
        properties["currency"] = "EUR"
    else:
        del properties["total"]
    return order(f"{prefix}-{kind}", **properties)


@pytest.mark.parametrize("kind", ["type", "enum", "required"])
def test_violations_follow_the_plans_setting(
    stack: tuple[GatewayProcess, Receiver], kind: str
) -> None:
    gateway, receiver = stack
    for source in ("strict", "lenient", "blocking"):
        marker = f"{source}-{kind}-marker"
        response = send(gateway, KEYS[source], bad(kind, source), order(marker, total=1))
        assert response.status_code == 200
    strict = received(receiver, f"strict-{kind}", marker=f"strict-{kind}-marker")
    lenient = received(receiver, f"lenient-{kind}", marker=f"lenient-{kind}-marker")
    blocking = received(receiver, f"blocking-{kind}", marker=f"blocking-{kind}-marker")
    assert blocking is None
    assert lenient is not None and lenient["properties"] == bad(kind, "x")["properties"]
    assert strict is not None
    wrong = {"type": "total", "enum": "currency", "required": None}[kind]
    expected = {k: v for k, v in bad(kind, "x")["properties"].items() if k != wrong}
    assert strict["properties"] == expected  # a missing property: nothing to remove
    for source, action in (
        ("strict", "kept" if kind == "required" else "removed"),
        ("lenient", "kept"),
        ("blocking", "event_dropped"),
    ):
        counted = metric(
            gateway,
            "gateway_plan_findings_total",
            source=source,
            event="Order Completed",
            reason=kind,
            action=action,
        )
        assert counted == 1, (source, kind)


def test_the_detectors_still_judge_planned_values(
    stack: tuple[GatewayProcess, Receiver],
) -> None:
    """`note` is a planned free-text string: coordinates in it are still location."""
    gateway, receiver = stack
    sent = order("d-1", total=3, note="meet at 35.6812, 139.7671")
    assert send(gateway, KEYS["strict"], sent, order("d-marker", total=1)).status_code == 200
    got = received(receiver, "d-1", marker="d-marker")
    assert got is not None
    assert got["properties"] == {"total": 3}


def gateway_command(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_plan_with_a_json_schema_error_fails_gateway_check(tmp_path: Path) -> None:
    directory = write_config(tmp_path / "config", sources=sources({"strict": "shop"}))
    broken = {"type": "object", "properties": {"total": {"type": "numeric"}}}
    events = {
        "Order Completed": {"properties": broken},
        "Order Refunded": {"properties": {"required": "total"}},
    }
    plans_file(
        directory,
        [{"name": "shop", "events": events, "identify": {"traits": {"pattern": "(unclosed"}}}],
    )
    for argv in (("check",), ("plan", "check")):
        result = gateway_command(*argv, "--config", str(directory))
        assert result.returncode == 1
        problems = result.stderr.splitlines()
        assert (
            'plans.yaml: plan "shop": event "Order Completed": properties: JSON Schema error '
            "at properties.total.type: must be one of array, boolean, integer, null, number, "
            "object, string, or a list of them" in problems
        )
        assert (
            'plans.yaml: plan "shop": identify: traits: JSON Schema error at pattern: '
            "must be a valid regex" in problems
        )
        assert (
            'plans.yaml: plan "shop": event "Order Refunded": properties: JSON Schema error '
            "at required: must be array" in problems
        )
        assert problems[-1] == f"3 problem(s) in {directory}"


def sample(count: int) -> list[dict[str, Any]]:
    """Varied events: several names, optional and nullable properties, nested objects and
    arrays, integers and floats, identify, page and screen calls."""
    events: list[dict[str, Any]] = []
    for i in range(count):
        kind = i % 10
        base = {"messageId": f"s-{i}", "anonymousId": f"anon-{i % 7}"}
        if kind < 5:
            properties: dict[str, Any] = {
                "total": i if i % 2 else i + 0.5,
                "currency": "JPY",
                "items": [{"sku": f"A-{i}", "qty": 1 + i % 3}],
            }
            if i % 3 == 0:
                properties["coupon"] = None if i % 9 == 0 else f"C{i}"
            events.append(
                {**base, "type": "track", "event": "Order Completed", "properties": properties}
            )
        elif kind < 7:
            events.append(
                {
                    **base,
                    "type": "track",
                    "event": "Product Viewed",
                    "properties": {
                        "sku": f"B-{i}",
                        "tags": ["new", "sale"][: i % 3],
                        "price": {"amount": i, "tax": i % 2 == 0},
                    },
                }
            )
        elif kind == 7:
            events.append(
                {
                    **base,
                    "type": "identify",
                    "userId": f"user-{i}",
                    "traits": {"plan": "pro", "seats": i},
                }
            )
        elif kind == 8:
            events.append(
                {
                    **base,
                    "type": "page",
                    "name": ["Home", "Cart"][i % 2],
                    "properties": {"path": "/"},
                }
            )
        else:
            events.append({**base, "type": "screen", "name": "Settings"})
    return events


def test_a_plan_inferred_from_100_events_accepts_them(tmp_path: Path) -> None:
    events = sample(100)
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    inferred = gateway_command("plan", "infer", "--from", str(jsonl), "--name", "inferred")
    assert inferred.returncode == 0, inferred.stderr
    receiver = Receiver()
    fields = ["type", "event", "name", "messageId", "properties.**", "traits.**"]
    directory = write_config(
        tmp_path / "config",
        sources=sources({"strict": "inferred"}),
        destinations=[webhook("hook", receiver.url, fields=fields, events={"types": ["*"]})],
    )
    (directory / "plans.yaml").write_text(inferred.stdout, encoding="utf-8")
    gateway = GatewayProcess(directory).start()
    try:
        assert send(gateway, KEYS["strict"], *events).status_code == 200
        delivered = {e["messageId"]: e for e in receiver.wait_for(100)}
        text = httpx.get(gateway.url + "/metrics", timeout=5).text
    finally:
        gateway.stop()
        receiver.close()
    assert "gateway_plan_findings_total{" not in text
    for event in events:
        got = delivered[event["messageId"]]
        for part in ("properties", "traits"):
            assert got.get(part, {}) == event.get(part, {}), event["messageId"]
