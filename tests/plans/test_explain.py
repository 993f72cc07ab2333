"""`gateway explain` shows each plan decision, from the intake's own run."""

from __future__ import annotations

from pathlib import Path

import orjson
import yaml

from tests.delivery.e2e import cli
from tests.support.configs import write_config

KEY = "explain-plan-key-01"


def test_explain_shows_trimmed_properties_and_dropped_events(tmp_path: Path) -> None:
    sources = [{"id": "app", "write_key": KEY, "kind": "server", "tracking_plan": "shop"}]
    directory = write_config(tmp_path / "config", sources=sources)
    plan = {
        "name": "shop",
        "events": {
            "Signed Up": {"properties": {"properties": {"plan": {"enum": ["free", "pro"]}}}}
        },
    }
    (directory / "plans.yaml").write_text(yaml.safe_dump({"plans": [plan]}), encoding="utf-8")
    batch = {
        "batch": [
            {
                "type": "track",
                "event": "Signed Up",
                "userId": "u1",
                "messageId": "m1",
                "properties": {"plan": "gold", "referrer": "x"},
            },
            {"type": "track", "event": "Unknown", "userId": "u1", "messageId": "m2"},
        ]
    }
    event_file = tmp_path / "batch.json"
    event_file.write_bytes(orjson.dumps(batch))
    code, out = cli(
        "explain", "--config", str(directory), "--write-key", KEY, "--json", str(event_file)
    )
    assert code == 0
    result = orjson.loads(out)
    assert result["tracking_plan"] == "shop"
    first, second = result["events"]
    assert first["plan"]["findings"] == [
        {"code": "unplanned_property", "path": "properties.referrer", "action": "removed"},
        {"code": "enum", "path": "properties.plan", "action": "removed"},
    ]
    assert second["messageId"] == "m2" and second["drop_code"] == "tracking_plan"
    assert second["plan"]["event"] == "(unplanned)"
    code, text = cli("explain", "--config", str(directory), "--write-key", KEY, str(event_file))
    assert "    - properties.referrer  [unplanned_property: removed]" in text
    assert "  DROPPED: dropped by the tracking plan" in text
