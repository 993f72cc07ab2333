"""The requests analytics-swift and analytics-kotlin make, replayed byte for byte as their
source builds them (no iOS or Android runtime here), against a real gateway: what
docs/mobile.md promises about hosts, bodies and advertising IDs.

- analytics-swift (Sources/Segment/Utilities/Networking/HTTPClient.swift, Storage/Types/
  DirectoryStore.swift): POST https://{apiHost}/b, `application/json; charset=utf-8`, the
  write key in the body (older releases also send it as Basic auth), a body written line by
  line: `{ "batch": [` + events + `],"sentAt":"…","writeKey":"…"}`.
- analytics-kotlin (core/HTTPClient.kt, utilities/EventsFileManager.kt): POST
  https://{apiHost}/b, `text/plain`, `Content-Encoding: gzip`, chunked (no Content-Length),
  no Authorization header: the write key is in the body only.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx

from tests.e2e.stack import ADS_FIELDS, Stack, disallowed_paths, run_id, wait_for
from tests.support.configs import APP_KEY

IDFV = "6D1A5B0E-7E7B-4E2C-9C43-1C2D3E4F5A6B"
IDFA = "A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF"
AAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
ZEROS = "00000000-0000-0000-0000-000000000000"


def swift_device(att: str | None) -> dict[str, Any]:
    """context.device as analytics-swift's Context plugin builds it, plus what the example
    IDFACollection plugin adds: when ATT is not authorized it reports adTrackingEnabled false
    and puts the IDFV (not an IDFA) in advertisingId."""
    device: dict[str, Any] = {
        "manufacturer": "Apple", "type": "ios", "model": "iPhone15,2", "name": "iPhone",
        "id": IDFV,
    }  # fmt: skip
    if att is not None:
        authorized = att == "authorized"
        device.update(
            adTrackingEnabled=authorized,
            advertisingId=IDFA if authorized else IDFV,
            trackingStatus=att,
        )
    return device


def kotlin_device(ad_id: str | None, enabled: bool) -> dict[str, Any]:
    """AndroidContextPlugin's device, plus the sample AndroidAdvertisingIdPlugin's fields
    (it leaves advertisingId out when limit-ad-tracking is on)."""
    device: dict[str, Any] = {
        "id": "5b0f6c6e-9c2e-4c55-8d1e-0b3c2a1d9e8f", "manufacturer": "Google",
        "model": "Pixel 8", "name": "shiba", "type": "android", "adTrackingEnabled": enabled,
    }  # fmt: skip
    if ad_id is not None:
        device["advertisingId"] = ad_id
    return device


def event(tag: str, library: str, device: dict[str, Any], os_name: str) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "properties": {"revenue": 3600, "currency": "JPY"},
        "anonymousId": f"anon-{tag}",
        "messageId": f"{library}-{tag}",
        "timestamp": "2026-04-01T09:30:00.000Z",
        "integrations": {},
        "context": {
            "library": {"name": library, "version": "1.7.0"},
            "device": device,
            "os": {"name": os_name, "version": "17.4"},
            "app": {"name": "Shop", "version": "3.2.0", "build": "320", "namespace": "jp.shop"},
            "screen": {"width": 393, "height": 852},
            "network": {"wifi": True, "cellular": False, "bluetooth": False},
            "locale": "ja-JP",
            "timezone": "Asia/Tokyo",
        },
    }


def swift_body(events: list[dict[str, Any]]) -> bytes:
    lines = ['{ "batch": [', *(("," if i else "") + json.dumps(e) for i, e in enumerate(events))]
    lines.append(f'],"sentAt":"2026-04-01T09:30:01.000Z","writeKey":"{APP_KEY}"}}')
    return "\n".join(lines).encode()


def kotlin_body(events: list[dict[str, Any]]) -> Iterator[bytes]:
    body = json.dumps({"batch": events}, separators=(",", ":"))[:-1]
    body += f',"sentAt":"2026-04-01T09:30:01.000Z","writeKey":"{APP_KEY}"}}'
    compressed = gzip.compress(body.encode())
    yield from (compressed[i : i + 512] for i in range(0, len(compressed), 512))


def test_analytics_swift_batches_with_att_states(stack: Stack) -> None:
    tag = run_id()
    # Only an authorised event goes to advertising destinations (with its IDFA); ATT not
    # authorised refuses the advertising purpose for the event, and analytics gets it
    # without the ID.
    cases = {"authorized": IDFA, "denied": None, "notDetermined": None, "restricted": None}
    events = [event(f"{tag}-{att}", "analytics-swift", swift_device(att), "iOS") for att in cases]
    headers = {"content-type": "application/json; charset=utf-8", "user-agent": "analytics-ios/1.7"}
    response = httpx.post(stack.url + "/v1/b", content=swift_body(events), headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["gateway-subject"].startswith("v1.")

    analytics = wait_for(stack.analytics, by_tag(tag), len(cases))
    (ads,) = wait_for(stack.ads, by_tag(tag), 1)
    assert ads["messageId"] == f"analytics-swift-{tag}-authorized"
    assert ads["context"]["device"]["advertisingId"] == IDFA
    assert disallowed_paths(ads, ADS_FIELDS) == []
    for received in analytics:
        if not received["messageId"].endswith("-authorized"):
            assert IDFA not in json.dumps(received)


def test_analytics_kotlin_gzip_chunked_batches_with_ad_tracking_states(stack: Stack) -> None:
    tag = run_id()
    cases = {
        "enabled": (AAID, True, AAID),
        "limit-ad-tracking": (None, False, None),  # refuses advertising: reaches analytics only
        "deleted-id": (ZEROS, True, None),  # Android 12+ after the user deletes the ID
    }
    events = [
        event(f"{tag}-{name}", "analytics-kotlin", kotlin_device(ad_id, on), "Android")
        for name, (ad_id, on, _) in cases.items()
    ]
    location = {"lat": 35.6812, "lon": 139.7671, "acc": 12.0, "provider": "passive"}
    events[0]["context"]["location"] = location  # the sample PassiveLocationPlugin's shape
    removed_before = stack.counter("gateway_policy_fields_removed", category="location")
    response = httpx.post(
        stack.url + "/v1/b",
        content=kotlin_body(events),
        headers={
            "content-type": "text/plain", "content-encoding": "gzip",
            "user-agent": "analytics-kotlin/1.15.0",
        },
    )  # fmt: skip
    assert response.status_code == 200, response.text
    sent = response.request.headers
    assert sent["transfer-encoding"] == "chunked" and "content-length" not in sent
    assert "authorization" not in sent

    analytics = wait_for(stack.analytics, by_tag(tag), len(cases))
    got = {e["messageId"]: e for e in wait_for(stack.ads, by_tag(tag), len(cases) - 1)}
    assert f"analytics-kotlin-{tag}-limit-ad-tracking" not in got
    for name, (_, _, kept) in cases.items():
        if name == "limit-ad-tracking":
            continue
        received = got[f"analytics-kotlin-{tag}-{name}"]
        assert received.get("context", {}).get("device", {}).get("advertisingId") == kept, name
    assert all("location" not in e.get("context", {}) for e in analytics)
    # Removed by the policy at the edge, not merely left out by the allow-list.
    assert stack.counter("gateway_policy_fields_removed", category="location") > removed_before


def by_tag(tag: str) -> Any:
    return lambda e: tag in e.get("messageId", "")
