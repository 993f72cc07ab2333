"""@segment/analytics-node, installed from npm, pointed at a real gateway by `host`/`path`
only: every event arrives at the receiver, with the policy applied."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.e2e.stack import (
    ANALYTICS_FIELDS,
    Stack,
    by,
    disallowed_paths,
    forbidden_keys,
    run_id,
    wait_for,
)
from tests.support.configs import SERVER_KEY


def run_client(clients: Path, stack: Stack, user: str, write_key: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    env = {**os.environ, "GATEWAY_URL": stack.url, "WRITE_KEY": write_key, "USER_ID": user}
    done = subprocess.run(
        [node, "analytics-node.mjs"], cwd=clients, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_events_from_analytics_node_arrive_with_the_policy_applied(
    node_clients: Path, stack: Stack
) -> None:
    user = f"node-{run_id()}"
    result = run_client(node_clients, stack, user, SERVER_KEY)
    events = wait_for(stack.analytics, by("userId", user), 18)

    assert result["errors"] == []
    requests = result["requests"]
    assert [r["events"] for r in requests] == [15, 3]
    assert {(r["url"], r["auth"], r["contentType"], r["status"]) for r in requests} == {
        (stack.url + "/v1/batch", "Basic", "application/json", 200)
    }
    assert len(events) == 18 and len({e["messageId"] for e in events}) == 18
    for event in events:
        assert disallowed_paths(event, ANALYTICS_FIELDS) == []
        assert forbidden_keys(event) == []
        assert event["context"]["library"]["name"] == "@segment/analytics-node"
    named = {e.get("event") or e["type"]: e for e in events}
    assert named["identify"]["traits"] == {"name": "Taro Yamada", "plan": "pro"}
    assert named["Store Searched"]["properties"] == {"query": "cafe"}
    assert named["page"]["name"] == "Pricing"
    items = sorted(e["properties"]["n"] for e in events if e.get("event") == "Batch Item")
    assert items == list(range(1, 16))


def test_analytics_node_with_an_unknown_write_key_reports_the_refusal(
    node_clients: Path, stack: Stack
) -> None:
    result = run_client(node_clients, stack, f"node-{run_id()}", "not-a-configured-key")

    # 401 is final: one request per batch, no retries.
    assert [(r["events"], r["status"]) for r in result["requests"]] == [(15, 401), (3, 401)]
    assert result["errors"], "the client should emit a delivery error for a 401"
