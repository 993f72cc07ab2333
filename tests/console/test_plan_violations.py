"""The tracking-plan violations page and its API, from the live debugger's entries, against
a real gateway process with a planned source: findings per source, plan and event, and no
value the plan removed anywhere in what the console shows."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import httpx
import pytest
import yaml

from tests.console.stack import wait_until
from tests.support.configs import default_sources, write_config
from tests.support.processes import GatewayProcess

TOKEN = "plan-violations-token-0001"
KEY = "planned-write-key-0001"
PLAN = {
    "name": "shop",
    "events": {"Signed Up": {"properties": {"properties": {"plan": {"enum": ["free", "pro"]}}}}},
}
SECRETS = ("GOLD-PLAN-VALUE", "SECRET-REFERRER-VALUE", "UNPLANNED-SECRET-VALUE", "Mystery Event")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    token = {
        "name": "analyst",
        "sha256": hashlib.sha256(TOKEN.encode()).hexdigest(),
        "scopes": ["debug:read"],
    }
    planned = {"id": "planned", "write_key": KEY, "kind": "server", "tracking_plan": "shop"}
    directory = write_config(
        tmp_path_factory.mktemp("plans") / "config",
        sources=[*default_sources(), planned],
        gateway={"admin": {"tokens": [token]}, "console": {"debugger": True}},
    )
    (directory / "plans.yaml").write_text(yaml.safe_dump({"plans": [PLAN]}), encoding="utf-8")
    process = GatewayProcess(directory).start()
    yield process
    process.stop()


def track(name: str, **properties: str) -> dict[str, object]:
    message_id = "plan-" + uuid.uuid4().hex[:12]
    return {
        "type": "track",
        "event": name,
        "messageId": message_id,
        "userId": "u1",
        "properties": properties,
    }


def api(gateway: GatewayProcess, path: str, **params: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {TOKEN}"}
    return httpx.get(gateway.url + path, params=params, headers=headers, timeout=10)


def test_findings_are_grouped_per_event_with_counts_and_no_removed_value(
    gateway: GatewayProcess,
) -> None:
    batch = [
        track("Signed Up", plan=SECRETS[0], referrer=SECRETS[1]),
        track("Signed Up", plan="pro", referrer="x"),
        track(SECRETS[3], note=SECRETS[2]),
        track("Signed Up", plan="free"),
    ]
    answer = httpx.post(
        gateway.url + "/v1/batch", json={"batch": batch}, auth=(KEY, ""), timeout=10
    )
    assert answer.status_code == 200
    listing = wait_until(lambda: api(gateway, "/admin/api/plans/violations").json()["violations"])
    assert [(g["source"], g["plan"], g["event"]) for g in listing] == [
        ("planned", "shop", "(unplanned)"),
        ("planned", "shop", "Signed Up"),
    ]
    unplanned, signed_up = listing
    assert (unplanned["events"], unplanned["dropped"]) == (1, 1)
    assert unplanned["last_messageId"] == batch[2]["messageId"]
    assert unplanned["findings"] == [
        {"code": "unplanned_event", "path": "", "action": "event_dropped", "count": 1}
    ]
    assert (signed_up["events"], signed_up["dropped"]) == (2, 0)
    found = [(f["code"], f["path"], f["action"], f["count"]) for f in signed_up["findings"]]
    assert found == [
        ("unplanned_property", "properties.referrer", "removed", 2),
        ("enum", "properties.plan", "removed", 1),
    ]

    # The debugger entries carry the decisions; the dropped event is there without its data.
    events = api(gateway, "/admin/api/events/recent", source="planned").json()["events"]
    by_id = {e["messageId"]: e for e in events}
    assert by_id[batch[2]["messageId"]]["event"] == {}
    assert by_id[batch[2]["messageId"]]["dropped"] == "tracking_plan"
    assert by_id[batch[3]["messageId"]]["plan"] is None  # clean: nothing to say
    shown = api(gateway, "/admin/api/events/recent").text + str(listing)
    assert not [secret for secret in SECRETS if secret in shown]

    assert api(gateway, "/admin/api/plans/violations", source="web").json() == {
        "enabled": True,
        "violations": [],
    }


def test_the_page_lists_them(gateway: GatewayProcess) -> None:
    event = track("Signed Up", plan=SECRETS[0])
    answer = httpx.post(gateway.url + "/v1/track", json=event, auth=(KEY, ""), timeout=10)
    assert answer.status_code == 200
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        signed = client.post("/console/signin?lang=en", data={"token": TOKEN})
        assert signed.status_code == 303

        def shown() -> str:
            text = client.get("/console/plans?lang=en").text
            return text if event["messageId"] in text else ""

        page = wait_until(shown)
    assert "<h1>Tracking-plan violations</h1>" in page
    assert "enum properties.plan: removed ×" in page
    assert 'href="/console/plans?lang=en"' in page
    assert not [secret for secret in SECRETS if secret in page]
