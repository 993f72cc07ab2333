"""Health, readiness and metrics of a real gateway process, and the rule that no payload
value ever reaches a metric or a log line, whatever is sent (forbidden data included) and
whatever goes wrong downstream (retries, dead letters)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.ingest.helpers import (
    APP_KEY,
    BAD,
    CANARY,
    SERVER_KEY,
    WEB_KEY,
    WEB_ORIGIN,
    basic,
    event,
    ingest_settings,
    json_body,
)
from tests.support.processes import GatewayProcess
from tests.support.receiver import Answer, Receiver

JPEG = base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF" + CANARY.encode() * 4).decode()


def odd_events() -> list[dict[str, Any]]:
    """Payloads a privacy policy worries about, each carrying the canary in its values."""
    c = CANARY
    return [
        event(
            "track",
            event=f"Checkout {c}",
            userId=f"user-{c}",
            messageId=f"msg-{c}",
            properties={
                "mark": "odd",
                "email": f"{c}@example.com",
                "latitude": 35.6812,
                "longitude": 139.7671,
                "gps": f"geo:35.6812,139.7671;{c}",
                "contacts": [{"name": f"Taro {c}", "phone": "+81-90-0000-0000"}],
                "message": f"hello {c}",
                "photo": f"data:image/jpeg;base64,{JPEG}",
                "blob": JPEG,
                "vcard": f"BEGIN:VCARD\nFN:{c}\nEND:VCARD",
                "path": f"/DCIM/Camera/{c}.jpg",
                c: "key named like the canary",
                "緯度": 35.6812,
                "nested": [[{"deep": {"deeper": f"v-{c}"}}]],
                "unicode": f"\u202e\u0000{c}\U0001f600",
            },
            context={
                "ip": "203.0.113.99",
                "userAgent": f"Mozilla/5.0 ({c}) AppleWebKit/537.36",
                "location": {"latitude": 35.6, "longitude": 139.7, "city": c},
                "page": {
                    "url": f"https://shop.example.com/?email={c}&lat=35.6",
                    "referrer": f"https://ref.example/{c}",
                    "title": c,
                },
                "device": {"advertisingId": f"{c}-idfa", "adTrackingEnabled": True},
                "consent": {"tcfString": f"not-a-tc-string-{c}", "categoryPreferences": {c: True}},
                "traits": {"address": {"street": c}},
            },
            integrations={c: True},
        ),
        event("identify", userId=f"user-{c}", traits={"email": f"{c}@example.com", "name": c}),
        event("page", name=c, properties={"mark": "odd", "search": f"?q={c}"}),
        event("screen", name=c, properties={"mark": "odd"}),
        event("group", groupId=f"group-{c}", traits={"name": c}),
        event("alias", previousId=f"prev-{c}", userId=f"user-{c}"),
    ]


def test_no_payload_value_reaches_metrics_or_logs(
    config_factory: Callable[..., Path],
    receiver: Receiver,
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    # The destination fails once (retry), then refuses one payload for good (dead letter).
    receiver.script(Answer(status=503, headers={"retry-after": "0"}), Answer(status=400))
    settings = ingest_settings(receiver.url)
    settings["gateway"]["delivery"] = {
        "poll_interval_seconds": 0.05,
        "backoff_base_seconds": 0.05,
        "backoff_max_seconds": 0.1,
    }
    directory = config_factory(**settings)
    gateway = gateway_factory(directory, args=("--log-level", "debug"))
    headers = {
        "content-type": "application/json",
        "user-agent": f"curl/8 {CANARY}",
        "x-forwarded-for": CANARY,
        "referer": f"https://{CANARY}.example/",
        "cookie": f"session={CANARY}",
        "sec-gpc": "1",
    }
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        for key in (WEB_KEY, APP_KEY, SERVER_KEY):
            batch = json_body({"batch": odd_events(), "sentAt": "2026-01-01T00:00:00Z"})
            response = client.post("/v1/batch", content=batch, headers={**headers, **basic(key)})
            assert response.status_code == 200, response.text
        web = {**headers, **basic(WEB_KEY), "origin": WEB_ORIGIN}
        assert client.post("/v1/t", content=json_body(odd_events()[0]), headers=web).is_success
        for bad in BAD.values():
            response = client.post(bad.path, content=bad.content(), headers=bad.request_headers())
            assert response.status_code == bad.status
        unknown = client.post(f"/v1/{CANARY}", content=b"{}", headers=headers)
        assert unknown.status_code == 404
        assert CANARY not in unknown.text

        _wait_for_dead_letter_and_deliveries(client, receiver)
        metrics = client.get("/metrics").text
    running_log = gateway.log()
    gateway.stop()
    log = gateway.log()

    assert "dead-lettered one payload" in log  # the log of this very run
    assert CANARY not in metrics
    assert "user-" not in metrics and "@example.com" not in metrics
    assert CANARY not in log, _lines_with(log, CANARY)
    assert "35.6812" not in log and "139.7671" not in log
    # (Checked before shutdown: the SQLite writer thread can die noisily at exit.)
    assert "Traceback" not in running_log
    families = {f.name for f in text_string_to_metric_families(metrics)}
    assert {"gateway_http_requests", "gateway_events_rejected", "gateway_ingest_seconds"} <= (
        families
    )


def _wait_for_dead_letter_and_deliveries(client: httpx.Client, receiver: Receiver) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        text = client.get("/metrics").text
        if 'gateway_dead_letters_total{destination="hook"' in text and len(receiver.requests) > 8:
            return
        time.sleep(0.05)
    raise AssertionError("no dead letter and deliveries within 15 s")


def _lines_with(text: str, needle: str) -> str:
    return "\n".join(line for line in text.splitlines() if needle in line)[:2000]


def test_the_root_page_links_a_newcomer_to_the_gateways_pages(tmp_path: Path) -> None:
    from gateway.app import create_app
    from tests.ingest.helpers import TestClient
    from tests.support.configs import write_config

    directory = write_config(tmp_path / "c", gateway={"demo": {"enabled": True}})
    with TestClient(create_app(directory, run_worker=False)) as client:
        page = client.get("/")
    assert page.status_code == 200
    for link in ("/demo", "/privacy/preferences", "/privacy/external-transmission"):
        assert f'href="{link}"' in page.text
