"""`gateway explain` (a subprocess, as marketing teams run it) and POST /admin/explain: paths,
reasons, each purpose's deciding signal and each destination's verdict — never a removed
value. Every removed value below carries a canary that must not appear in any output."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.destinations.registry import read_config
from gateway.intake.explain import render_text
from gateway.runtime import Gateway
from gateway.store.types import ConsentChange
from tests.policy.harness import WRITE_KEYS, Harness, TestClient

TOKEN = "explain-admin-token-0001"
OTHER_TOKEN = "dsar-only-token-0001"
CANARIES = ["35.681234", "139.767654", "CANARY-MSG-1", "CANARY-CONTACT", "Q0FOQVJZ", "35.689876",
            "CANARY-VCARD", "6D92078A-8246-4BA4-AE5B-76104861E7DC",
            "w~wxEogatYcGcLcGcLcGcL"]  # fmt: skip
EVENT = {
    "type": "track",
    "event": "Order Completed",
    "messageId": "m-explain-1",
    "anonymousId": "a1",
    "timestamp": "2026-05-01T09:30:12.345Z",
    "properties": {
        "revenue": 30,
        "currency": "JPY",
        "lat": 35.681234,
        "lng": 139.767654,
        "messageBody": "see you CANARY-MSG-1",
        "photo": "data:image/png;base64,iVBORw0KGgoQ0FOQVJZ",
        "note": "BEGIN:VCARD\r\nFN:CANARY-VCARD\r\nEND:VCARD",
        "items": [{"sku": "A1", "contacts": ["CANARY-CONTACT"]}],
        "route": "w~wxEogatYcGcLcGcLcGcL",  # an encoded polyline (recognised by what it is)
    },
    "context": {
        "ip": "198.51.100.7",
        "page": {"path": "/s", "url": "https://shop.example.com/s?lat=35.689876&q=shoes"},
        "device": {"advertisingId": "6D92078A-8246-4BA4-AE5B-76104861E7DC"},
        "consent": {"categoryPreferences": {"C0002": True}},
    },
}
REMOVED = [
    ("properties.lat", "location", "key_name"),
    ("properties.lng", "location", "key_name"),
    ("properties.messageBody", "message_content", "key_name"),
    ("properties.photo", "media", "key_name"),
    ("properties.note", "contacts", "value:vcard"),
    ("properties.items[0].contacts", "contacts", "key_name"),
    ("properties.route", "location", "location.polyline:encoded_polyline"),
    ("context.page.url?lat", "location", "url_param"),
    ("context.device.advertisingId", "advertising_id", "advertising_denied"),
]


def admin_tokens() -> dict[str, Any]:
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    return {
        "tokens": [
            {"name": "marketing", "sha256": digest(TOKEN), "scopes": ["explain"]},
            {"name": "privacy-office", "sha256": digest(OTHER_TOKEN), "scopes": ["dsar:read"]},
        ]
    }


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    harness = Harness(tmp_path_factory.mktemp("explain"))
    directory = harness.config_dir(name="explain", gateway={"admin": admin_tokens()})
    harness.close()
    asyncio.run(store_preferences(directory, "stored-refuser", {"purposes": {"analytics": False}}))
    asyncio.run(store_preferences(directory, "suspended", {"suspend_use": True}))
    return directory


async def store_preferences(directory: Path, anonymous_id: str, state: dict[str, Any]) -> None:
    """Keep a customer's choice in the config's store, as the preferences API would."""
    gateway = Gateway(read_config(directory), run_worker=False)
    runtime = await gateway.start()
    try:
        key = runtime.subject_keys.key("anon", anonymous_id)
        change = ConsentChange(0.0, key, {}, state, "test", runtime.config.policy.version)
        await runtime.store.preferences.put([key], state, change)
    finally:
        await gateway.stop()


BATCH = {
    "batch": [
        {"type": "screen", "name": "Home", "anonymousId": "stored-refuser"},
        {"type": "identify", "userId": "u1", "anonymousId": "suspended", "traits": {"plan": "pro"}},
    ]
}
REJECTED = {"type": "track", "event": "x", "anonymousId": "a1", "context": "CANARY-MSG-1"}
# name: (arguments after the config, the event file's content or None for stdin, stdin)
COMMANDS: dict[str, tuple[list[str], Any, Any]] = {
    "text": (["--header", "Sec-GPC: 1"], EVENT, None),
    "json": (["--json", "--header", "Sec-GPC: 1"], EVENT, None),
    "batch": (["--json", "--write-key", WRITE_KEYS["ios"]], None, BATCH),
    "rejected": ([], REJECTED, None),
}


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def cli(config_dir: Path) -> dict[str, Result]:
    """Every `gateway explain` command of this module, run at once (each takes seconds)."""
    running = {}
    for name, (args, event, stdin) in COMMANDS.items():
        target = "-"
        if event is not None:
            path = config_dir.parent / f"{name.replace(' ', '-')}.json"
            path.write_text(json.dumps(event), encoding="utf-8")
            target = str(path)
        command = [sys.executable, "-m", "gateway", "explain", "--config", str(config_dir)]
        process = subprocess.Popen(
            [*command, target, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        running[name] = (process, json.dumps(stdin) if stdin is not None else "")
    results = {}
    for name, (process, text) in running.items():
        stdout, stderr = process.communicate(text, timeout=120)
        results[name] = Result(process.returncode, stdout, stderr)
    return results


def leaked(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text]


def without_received_at(value: Any) -> Any:
    """receivedAt is the time the explanation ran: the one field two runs cannot share."""
    if isinstance(value, dict):
        return {k: without_received_at(v) for k, v in value.items() if k != "receivedAt"}
    if isinstance(value, list):
        return [without_received_at(v) for v in value]
    return value


def test_text_output_says_what_happened_and_shows_no_removed_value(
    cli: dict[str, Result],
) -> None:
    result = cli["text"]
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not leaked(out + result.stderr)
    assert "event 1: track m-explain-1" in out
    for path, category, rule in REMOVED:
        assert f"- {path}  [{category}: {rule}]" in out
    assert f"removed ({len(REMOVED)}):" in out
    lines = [line.split() for line in out.splitlines()]
    assert ["service", "granted", "by", "default"] in lines
    assert ["analytics", "granted", "by", "categoryPreferences", "—", "category", "C0002"] in lines
    assert ["advertising", "DENIED", "by", "gpc", "—", "Global", "Privacy", "Control"] in lines
    assert "    SEND analytics: sent" in out
    assert '    skip ads: purpose "advertising" not granted (decided by gpc)' in out
    assert '    skip social: purpose "advertising" not granted (decided by gpc)' in out
    assert "    SEND support: sent" in out
    assert "fields: type, event, context.page.path" in out


def test_json_output_is_the_trace(cli: dict[str, Result]) -> None:
    result = cli["json"]
    assert result.returncode == 0, result.stderr
    assert not leaked(result.stdout + result.stderr)
    document = json.loads(result.stdout)
    assert document["source"] == "web" and document["signals"] == {"sec_gpc": True, "dnt": False}
    (trace,) = document["events"]
    assert [(r["path"], r["category"], r["rule"]) for r in trace["removed"]] == REMOVED
    assert trace["purposes"] == {
        "service": {"granted": True, "signal": "default", "basis": "purpose_default"},
        "analytics": {
            "granted": True,
            "signal": "categoryPreferences",
            "basis": "cmp",
            "detail": "category C0002",
        },
        "advertising": {
            "granted": False,
            "signal": "gpc",
            "basis": "gpc",
            "detail": "Global Privacy Control",
        },
    }
    verdicts = {d["destination"]: d for d in trace["destinations"]}
    assert [verdicts[n]["send"] for n in ("analytics", "ads", "social", "support")] == [
        True, False, False, True,
    ]  # fmt: skip
    assert verdicts["ads"]["reason"] == 'purpose "advertising" not granted (decided by gpc)'
    assert "payload" not in verdicts["ads"]
    assert verdicts["support"]["payload"] == {
        "type": "track",
        "event": "Order Completed",
        "context": {"page": {"path": "/s"}},
    }
    analytics = verdicts["analytics"]["payload"]
    assert analytics["properties"] == {"revenue": 30, "currency": "JPY", "items": [{"sku": "A1"}]}
    assert analytics["context"]["ip"] == "198.51.100.0"
    assert analytics["context"]["geo"] == {"country": "GB", "subdivision": "ENG", "city": "London"}
    assert analytics["context"]["page"]["url"] == "https://shop.example.com/s?q=shoes"
    assert trace["messageId"] == "m-explain-1" and trace["dropped"] is None


def test_batch_from_stdin_reads_stored_preferences_and_suspensions(
    cli: dict[str, Result],
) -> None:
    result = cli["batch"]
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["source"] == "ios"
    refuser, suspended = document["events"]
    assert refuser["type"] == "screen" and refuser["dropped"] is None
    assert refuser["purposes"]["analytics"] == {
        "granted": False,
        "signal": "preferences",
        "basis": "explicit_choice",
        "detail": "stored customer preference",
    }
    assert suspended["dropped"] == "use suspended for this subject"
    assert suspended["destinations"] == []
    assert {p["signal"] for p in suspended["purposes"].values()} == {"suspension"}
    text = render_text(document)
    assert "analytics    DENIED   by preferences — stored customer preference" in text
    assert "event 2: identify" in text and "  DROPPED: use suspended for this subject" in text


def test_a_rejected_event_exits_1_without_echoing_it(cli: dict[str, Result]) -> None:
    result = cli["rejected"]
    assert result.returncode == 1
    assert result.stdout == "rejected (400): context: must be an object\n"
    assert not leaked(result.stdout + result.stderr)


# --- POST /admin/explain ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(config_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(read_config(config_dir), run_worker=False)) as client:
        yield client


def test_admin_endpoint_returns_the_same_json_as_the_cli(
    client: TestClient, cli: dict[str, Result]
) -> None:
    response = client.post(
        "/admin/explain",
        content=json.dumps(EVENT),
        headers={"authorization": f"Bearer {TOKEN}", "sec-gpc": "1"},
    )
    assert response.status_code == 200, response.text
    assert not leaked(response.text)
    from_cli = json.loads(cli["json"].stdout)
    assert without_received_at(response.json()) == without_received_at(from_cli)


def test_admin_endpoint_takes_the_write_key_from_the_query(client: TestClient) -> None:
    response = client.post(
        f"/admin/explain?write_key={WRITE_KEYS['android']}",
        content=json.dumps({"type": "screen", "name": "Home", "anonymousId": "a1"}),
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 200 and response.json()["source"] == "android"


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Bearer wrong", 401), (f"Basic {TOKEN}", 401), (f"Bearer {OTHER_TOKEN}", 403)],
)
def test_admin_endpoint_needs_an_explain_token(
    client: TestClient, authorization: str | None, status: int
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    response = client.post("/admin/explain", content=json.dumps(EVENT), headers=headers)
    assert response.status_code == status
    assert not leaked(response.text) and "events" not in response.json()


def test_admin_endpoint_rejects_a_bad_event_without_echo(client: TestClient) -> None:
    response = client.post(
        "/admin/explain",
        content=b'{"type": "track", "event": "x", "anonymousId": "a1", "context": "CANARY-MSG-1"}',
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "context: must be an object", "status": 400}


def test_text_output_escapes_control_characters_from_the_event() -> None:
    """A key name with a newline or a terminal escape cannot forge or hide explanation lines."""
    trace = {
        "type": "track",
        "messageId": "m\n  SEND fake: sent",
        "dropped": None,
        "purposes": {"service": {"granted": True, "signal": "default"}},
        "signal_problems": [],
        "removed": [
            {"path": "properties.a\nb.lat", "category": "location", "detector": "keys",
             "rule": "key_name"}
        ],
        "destinations": [
            {"destination": "analytics", "send": True, "reason": "sent", "categories": ["other"],
             "payload": {"x\x1b]0;title\x07": 1, "ok": {"\u2028": 2}}},
        ],
    }  # fmt: skip
    text = render_text({"source": "web", "policy_version": "v", "events": [trace]})
    assert "\x1b" not in text and "\x07" not in text and "\u2028" not in text
    assert "event 1: track m\\n  SEND fake: sent" in text
    assert "    - properties.a\\nb.lat  [location: key_name] by keys" in text
    assert "fields: x\\x1b]0;title\\x07, ok.\\u2028" in text
    assert [line for line in text.splitlines() if "SEND" in line] == [
        "event 1: track m\\n  SEND fake: sent",
        "    SEND analytics: sent",
    ]
