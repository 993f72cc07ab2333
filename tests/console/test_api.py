"""/admin/api against a real gateway process, its SQLite store and real receivers."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml

from tests.console.stack import EDITOR, OTHER, READER, ConsoleStack, wait_until
from tests.support.configs import SERVER_KEY
from tests.support.receiver import Answer


def new_id() -> str:
    return "console-" + uuid.uuid4().hex[:12]


def test_the_listing_has_each_destination_as_in_its_file_with_live_status(
    console: ConsoleStack,
) -> None:
    answer = console.api("GET", "/admin/api/destinations")
    assert answer.status_code == 200
    body = answer.json()
    assert answer.headers["etag"] == f'"{body["version"]}"'
    names = [d["config"]["name"] for d in body["destinations"]]
    assert names == ["analytics", "crm"]
    analytics = body["destinations"][0]
    assert analytics["file"] == "destinations.yaml"
    # As the file has it: no defaults filled in.
    assert analytics["config"]["fields"] == ["type", "event", "messageId"]
    assert "events" not in analytics["config"]
    status = analytics["status"]
    assert set(status) == {
        "running",
        "queue_depth",
        "oldest_age_seconds",
        "dead_letters",
        "delivered",
        "retried",
        "failed",
        "circuit",
        "last_error",
    }
    assert status["running"] is True


def test_tokens_need_the_scope(console: ConsoleStack) -> None:
    assert console.api("GET", "/admin/api/destinations", token="nope").status_code == 401
    assert console.api("GET", "/admin/api/destinations", token=OTHER).status_code == 403
    assert console.api("GET", "/admin/api/destinations", token=READER).status_code == 200
    item = console.item("analytics")
    answer = console.api(
        "PUT",
        "/admin/api/destinations/analytics",
        token=READER,
        json=item,
        headers={"if-match": console.version()},
    )
    assert answer.status_code == 403
    assert console.api("GET", "/admin/api/events/recent", token=READER).status_code == 403


def test_a_saved_field_keeps_the_comments_reloads_and_reaches_the_receiver(
    console: ConsoleStack,
) -> None:
    before = console.version()
    item = console.item("analytics")
    item["fields"] = [*item["fields"], "properties.plan"]
    answer = console.api(
        "PUT", "/admin/api/destinations/analytics", json=item, headers={"if-match": f'"{before}"'}
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["version"] != before
    assert result["version"] == console.version()
    assert result["reload"]["reloaded"] is True
    text = console.file()
    for comment in ("# Forwarding rules", "# The analytics hook", "# keep this list short"):
        assert comment in text
    assert yaml.safe_load(text)["destinations"][0]["fields"][-1] == "properties.plan"

    message_id = new_id()
    console.send(
        {
            "type": "track",
            "event": "Signed Up",
            "messageId": message_id,
            "anonymousId": "a1",
            "properties": {"plan": "pro", "other": 1},
        },
        SERVER_KEY,
    )
    events = console.receivers["analytics"].wait_for(1)
    got = next(e for e in events if e["messageId"] == message_id)
    assert got["properties"] == {"plan": "pro"}

    log = console.api("GET", "/admin/api/changes").json()["changes"]
    assert log[0]["token"] == "editor"
    assert log[0]["destination"] == "analytics"
    assert "+    fields: [type, event, messageId, properties.plan]" in log[0]["diff"] or (
        "properties.plan" in log[0]["diff"]
    )
    assert log[0]["version_before"] == before


def test_an_invalid_edit_answers_the_checks_sentences_and_writes_nothing(
    console: ConsoleStack, tmp_path: Path
) -> None:
    original = console.file()
    version = console.version()
    item = console.item("analytics")
    item["country"] = "CN"
    answer = console.api(
        "PUT", "/admin/api/destinations/analytics", json=item, headers={"if-match": version}
    )
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert console.file() == original
    assert console.version() == version

    # `gateway check` on the same files says exactly the same.
    copy = tmp_path / "config"
    shutil.copytree(console.directory, copy, ignore=shutil.ignore_patterns("*.db*", "*.log"))
    (copy / "destinations.yaml").write_text(original.replace("country: JP", "country: CN", 1))
    check = subprocess.run(
        [sys.executable, "-m", "gateway", "check", "--config", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 1
    printed = [line for line in check.stderr.splitlines() if line.startswith("destinations.yaml")]
    assert printed == problems
    assert any('destination "analytics"' in p and "CN" in p for p in problems)


def test_a_stale_version_is_refused_and_a_missing_one_required(console: ConsoleStack) -> None:
    stale = console.version()
    item = console.item("crm")
    first = console.api(
        "PUT",
        "/admin/api/destinations/crm",
        headers={"if-match": stale},
        json={**item, "description": "first"},
    )
    assert first.status_code == 200
    after_first = console.file()
    second = console.api(
        "PUT",
        "/admin/api/destinations/crm",
        headers={"if-match": stale},
        json={**item, "description": "second"},
    )
    assert second.status_code == 412
    assert second.json()["version"] == first.json()["version"]
    assert console.file() == after_first
    missing = console.api("PUT", "/admin/api/destinations/crm", json=item)
    assert missing.status_code == 428


def test_simultaneous_saves_against_one_version_let_exactly_one_through(
    console: ConsoleStack,
) -> None:
    version = console.version()
    item = console.item("crm")
    statuses: list[int] = []

    def save(text: str) -> None:
        answer = console.api(
            "PUT",
            "/admin/api/destinations/crm",
            headers={"if-match": version},
            json={**item, "description": text},
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=save, args=(f"writer {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412, 412, 412]


def test_add_and_remove(console: ConsoleStack) -> None:
    new = {
        "name": "extra",
        "type": "webhook",
        "url": console.receivers["crm"].url,
        "country": "JP",
        "purposes": ["analytics"],
        "role": "processor",
        "fields": ["type", "event"],
        "allow_private_network": True,
    }
    added = console.api(
        "POST", "/admin/api/destinations", json=new, headers={"if-match": console.version()}
    )
    assert added.status_code == 200, added.text
    assert [d["name"] for d in yaml.safe_load(console.file())["destinations"]] == [
        "analytics",
        "crm",
        "extra",
    ]
    again = console.api(
        "POST", "/admin/api/destinations", json=new, headers={"if-match": console.version()}
    )
    assert again.status_code == 422
    removed = console.api(
        "DELETE", "/admin/api/destinations/extra", headers={"if-match": console.version()}
    )
    assert removed.status_code == 200
    assert "extra" not in console.file()
    assert "# The analytics hook" in console.file()
    gone = console.api(
        "DELETE", "/admin/api/destinations/extra", headers={"if-match": console.version()}
    )
    assert gone.status_code == 404


def test_preview_is_the_explain_trace(console: ConsoleStack) -> None:
    event = {
        "type": "track",
        "event": "Visited",
        "anonymousId": "p1",
        "properties": {"plan": "pro", "gps": "35.681236,139.767125"},
    }
    answer = console.api(
        "POST", "/admin/api/preview", params={"write_key": SERVER_KEY}, content=orjson.dumps(event)
    )
    assert answer.status_code == 200
    trace = answer.json()["events"][0]
    assert any(r["path"] == "properties.gps" for r in trace["removed"])
    assert "139.767" not in answer.text
    crm = next(v for v in trace["destinations"] if v["destination"] == "crm")
    assert crm["payload"]["properties"] == {"plan": "pro"}


def recent(console: ConsoleStack, message_id: str) -> Any:
    events = console.api("GET", "/admin/api/events/recent", params={"limit": 100}).json()
    return next((e for e in events["events"] if e["messageId"] == message_id), None)


def test_the_debugger_lists_events_after_the_policy_with_each_verdict(
    console: ConsoleStack,
) -> None:
    message_id = new_id()
    console.send(
        {
            "type": "track",
            "event": "Located",
            "messageId": message_id,
            "anonymousId": "d1",
            "properties": {"plan": "pro", "gps": "35.681236,139.767125"},
        },
        SERVER_KEY,
    )
    entry = recent(console, message_id)
    assert entry is not None
    assert entry["source"] == "server"
    assert "gps" not in entry["event"].get("properties", {})
    assert "139.767" not in orjson.dumps(entry).decode()
    assert {r["path"] for r in entry["removed"]} >= {"properties.gps"}
    verdicts = {v["destination"]: (v["send"], v["code"]) for v in entry["destinations"]}
    assert set(verdicts) == {"analytics", "crm"}
    assert all(send for send, _ in verdicts.values())
    only = console.api("GET", "/admin/api/events/recent", params={"source": "web"}).json()
    assert all(e["source"] == "web" for e in only["events"])


def test_the_stream_sends_each_event_as_it_arrives(console: ConsoleStack) -> None:
    message_id = new_id()
    got: list[dict[str, Any]] = []
    opened = threading.Event()

    def listen() -> None:
        headers = {"authorization": f"Bearer {EDITOR}"}
        with httpx.stream(
            "GET", console.url + "/admin/api/events/stream", headers=headers, timeout=10
        ) as answer:
            assert answer.headers["content-type"].startswith("text/event-stream")
            for line in answer.iter_lines():
                opened.set()
                if line.startswith("data: "):
                    entry = orjson.loads(line[6:])
                    if entry["messageId"] == message_id:
                        got.append(entry)
                        return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert opened.wait(5)
    sent = time.monotonic()
    console.send(
        {"type": "track", "event": "Streamed", "messageId": message_id, "anonymousId": "s1"},
        SERVER_KEY,
    )
    thread.join(5)
    assert got, "the stream did not carry the event"
    assert time.monotonic() - sent < 2.0


def test_a_test_event_goes_through_the_adapter_and_returns_the_vendors_answer(
    console: ConsoleStack,
) -> None:
    receiver = console.receivers["crm"]
    # As the default answer: a delivery still in flight from another test cannot take it.
    receiver.default = Answer(status=202, body=b'{"accepted": 1}')
    try:
        answer = console.api("POST", "/admin/api/destinations/crm/test")
        assert answer.status_code == 200
        result = answer.json()
        assert result["sent"] is True
        assert result["status"] == 202
        assert result["answer"] == '{"accepted": 1}'
        events = wait_until(
            lambda: [e for e in receiver.events() if e["messageId"] == result["messageId"]]
        )
        assert events[0]["event"] == "Gateway Test Event"
        assert events[0]["messageId"].startswith("gateway-test-")
        receiver.default = Answer(status=400, body=b'{"error": "bad"}')
        refused = console.api("POST", "/admin/api/destinations/crm/test").json()
        assert refused["sent"] is False
        assert refused["status"] == 400
        assert refused["answer"] == '{"error": "bad"}'
    finally:
        receiver.default = Answer()
    assert console.api("POST", "/admin/api/destinations/nope/test").status_code == 404


def test_dead_letters_list_show_replay_drop(console: ConsoleStack) -> None:
    receiver = console.receivers["analytics"]
    first, second = new_id(), new_id()
    receiver.script(Answer(status=400), Answer(status=400))
    for message_id in (first, second):
        console.send(
            {"type": "track", "event": "Dead", "messageId": message_id, "anonymousId": "x"},
            SERVER_KEY,
        )

    def dead() -> list[Any]:
        rows = console.api(
            "GET", "/admin/api/deadletters", params={"destination": "analytics"}
        ).json()["dead_letters"]
        return [r for r in rows if r["messageId"] in (first, second)]

    rows = wait_until(lambda: len(dead()) == 2 and dead())
    assert {r["reason"] for r in rows} == {"fatal"}
    one = console.api("GET", f"/admin/api/deadletters/{rows[0]['id']}").json()
    assert one["payload"]["messageId"] == rows[0]["messageId"]
    assert console.api("GET", "/admin/api/deadletters/999999999").status_code == 404

    replayed = console.api("POST", "/admin/api/deadletters/replay", json={"ids": [rows[0]["id"]]})
    assert replayed.json() == {"replayed": 1}
    wait_until(lambda: any(e["messageId"] == rows[0]["messageId"] for e in receiver.events()))
    status = next(
        d["status"]
        for d in console.api("GET", "/admin/api/destinations").json()["destinations"]
        if d["config"]["name"] == "analytics"
    )
    assert status["last_error"]["code"] == "http_400"
    assert status["failed"] >= 2
    dropped = console.api("POST", "/admin/api/deadletters/drop", json={"ids": [rows[1]["id"]]})
    assert dropped.json() == {"dropped": 1}
    assert dead() == []
    assert console.api("POST", "/admin/api/deadletters/drop", json={}).status_code == 400


def test_a_destination_whose_secret_is_not_set_is_refused_before_writing(
    console: ConsoleStack,
) -> None:
    original = console.file()
    new = {
        "name": "ga4-web",
        "type": "ga4",
        "measurement_id": "G-TEST12345",
        "secret_env": "CONSOLE_TEST_UNSET_SECRET",
        "country": "US",
        "purposes": ["analytics"],
        "role": "processor",
        "fields": ["type", "event", "anonymousId"],
    }
    answer = console.api(
        "POST", "/admin/api/destinations", json=new, headers={"if-match": console.version()}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["problems"] == [
        'destinations.yaml: destination "ga4-web": secret_env "CONSOLE_TEST_UNSET_SECRET" '
        "is not set in the environment"
    ]
    assert console.file() == original


def test_a_reconnecting_stream_gets_what_it_missed_first(console: ConsoleStack) -> None:
    first, second = new_id(), new_id()
    for message_id in (first, second):
        console.send(
            {"type": "track", "event": "Missed", "messageId": message_id, "anonymousId": "r1"},
            SERVER_KEY,
        )
    seen = recent(console, first)
    assert seen is not None
    headers = {"authorization": f"Bearer {EDITOR}", "last-event-id": str(seen["id"])}
    with httpx.stream(
        "GET", console.url + "/admin/api/events/stream", headers=headers, timeout=10
    ) as answer:
        lines = answer.iter_lines()
        assert next(lines) == "retry: 500"
        data = next(line for line in lines if line.startswith("data: "))
    entry = orjson.loads(data[6:])
    assert entry["messageId"] == second


def test_turning_the_debugger_off_forgets_what_it_kept(console: ConsoleStack) -> None:
    message_id = new_id()
    console.send(
        {"type": "track", "event": "Kept", "messageId": message_id, "anonymousId": "k1"}, SERVER_KEY
    )
    assert recent(console, message_id) is not None
    settings = console.directory / "gateway.yaml"
    original = settings.read_text()
    try:
        settings.write_text(original.replace("debugger: true", "debugger: false"))
        assert console.api("POST", "/admin/reload").json()["reloaded"] is True
        off = console.api("GET", "/admin/api/events/recent").json()
        assert off == {"enabled": False, "events": []}
        assert console.api("GET", "/admin/api/events/stream").status_code == 404
        settings.write_text(original)
        assert console.api("POST", "/admin/reload").json()["reloaded"] is True
        assert recent(console, message_id) is None
    finally:
        settings.write_text(original)
        console.api("POST", "/admin/reload")
