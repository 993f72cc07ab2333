"""@segment/analytics-next, installed from npm, in real Chromium: its browser bundle is
served by the shop's own site, loaded with a settings stub (so it never asks Segment's CDN)
whose Segment.io integration points at the gateway. Every event it sends arrives at the
receiver with the policy applied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Request

from tests.e2e.site import StaticSite
from tests.e2e.stack import (
    ANALYTICS_FIELDS,
    COORDINATE_QUERY,
    PNG_DATA_URI,
    Stack,
    by,
    disallowed_paths,
    forbidden_keys,
    run_id,
    wait_for,
)
from tests.support.configs import WEB_KEY

pytestmark = pytest.mark.browser

IDENTITY = ("type", "event", "name", "userId", "anonymousId", "groupId", "previousId")
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Shop (analytics-next)</title>
<script src="/analytics-next/bundles/index.js"></script></head><body></body></html>"""

# Loads analytics-next with `settings` (AnalyticsBrowserSettings) and `options` (InitOptions),
# then makes one call of each kind, awaiting each delivery.
SEND = """async ({settings, options, user, props}) => {
  const analytics = window.AnalyticsNext.AnalyticsBrowser.load(settings, options);
  const calls = [
    () => analytics.page(),
    () => analytics.identify(user, {plan: 'pro', email: 'taro@example.jp'}),
    () => analytics.track('Store Searched', props),
    () => analytics.group('org-1', {name: 'Example KK'}),
    () => analytics.alias(user + '-new', user),
  ];
  const failures = [];
  for (const call of calls) {
    const ctx = await call();
    const failed = ctx.failedDelivery();
    if (failed) failures.push(String(failed.reason));
  }
  const [instance] = await analytics;
  return {anonymousId: instance.user().anonymousId(), failures};
}"""


def stubbed(site: StaticSite, stack: Stack) -> dict[str, Any]:
    """The documented way to skip the settings request: `cdnSettings` (src/browser/settings.ts).
    `apiKey` is the write key the Segment.io plugin sends (Basic auth and body); `apiHost` and
    `protocol` are where it sends. `cdnURL` keeps lazy chunks first-party, and
    `metrics.sampleRate: 0` turns off the client's own telemetry to {apiHost}/m."""
    integration = {"apiKey": WEB_KEY, "apiHost": stack.host + "/v1", "protocol": "http"}
    cdn_settings = {"integrations": {"Segment.io": integration}, "metrics": {"sampleRate": 0}}
    return {"writeKey": WEB_KEY, "cdnURL": site.origin, "cdnSettings": cdn_settings}


STORE_SEARCHED = {
    "query": "cafe",
    "latitude": 35.68,
    "longitude": 139.76,
    "photo": PNG_DATA_URI,
}


async def send_from_page(
    browser: Browser,
    site: StaticSite,
    stack: Stack,
    clients: Path,
    settings: dict[str, Any],
    options: dict[str, Any],
) -> tuple[dict[str, Any], list[Request], str]:
    site.mount("/analytics-next/bundles", clients / "node_modules/@segment/analytics-next/dist/umd")
    path = f"/next/{run_id()}/index.html"
    site.add(path, PAGE)
    context = await browser.new_context()
    requests: list[Request] = []
    context.on("request", lambda request: requests.append(request))
    page = await context.new_page()
    await page.goto(site.origin + path + "?q=cafe&lat=35.68&lng=139.76")
    user = f"next-{run_id()}"
    arguments = {"settings": settings, "options": options, "user": user, "props": STORE_SEARCHED}
    if "deliveryStrategy" in options.get("integrations", {}).get("Segment.io", {}):
        async with page.expect_response(stack.url + "/v1/b") as batch:
            result: dict[str, Any] = await page.evaluate(SEND, arguments)
        assert (await batch.value).status == 200
    else:
        result = await page.evaluate(SEND, arguments)
    await context.close()
    return result, requests, user


async def test_analytics_next_events_arrive_with_the_policy_applied(
    browser: Browser, site: StaticSite, stack: Stack, node_clients: Path
) -> None:
    settings = stubbed(site, stack)
    result, requests, user = await send_from_page(browser, site, stack, node_clients, settings, {})
    events = wait_for(stack.analytics, by("anonymousId", result["anonymousId"]), 5)

    assert result["failures"] == []
    hosts = {r.url.split("/")[2] for r in requests}
    assert hosts == {site.origin.removeprefix("http://"), stack.host}
    posted = sorted(r.url.removeprefix(stack.url) for r in requests if r.method == "POST")
    assert posted == ["/v1/a", "/v1/g", "/v1/i", "/v1/p", "/v1/t"]

    assert sorted(e["type"] for e in events) == ["alias", "group", "identify", "page", "track"]
    bodies = [json.loads(r.post_data or "") for r in requests if r.method == "POST"]
    sent = {e["messageId"]: e for e in bodies}
    for event in events:
        ids = {k: sent[event["messageId"]].get(k) for k in IDENTITY}
        assert {k: event.get(k) for k in IDENTITY} == ids
        assert disallowed_paths(event, ANALYTICS_FIELDS) == []
        assert forbidden_keys(event) == []
        assert event["context"]["library"]["name"] == "analytics.js"
        url = event["context"]["page"]["url"]
        assert "q=cafe" in url and not COORDINATE_QUERY.search(url), url
    kinds = {e["type"]: e for e in events}
    assert kinds["track"]["properties"] == {"query": "cafe"}
    assert kinds["track"]["userId"] == user
    assert kinds["identify"]["traits"] == {"plan": "pro"}
    assert kinds["group"]["groupId"] == "org-1"
    page_properties = kinds["page"]["properties"]
    for key in ("url", "search"):
        assert not COORDINATE_QUERY.search(page_properties.get(key, "")), page_properties


async def test_analytics_next_batching_strategy_delivers_through_v1_b(
    browser: Browser, site: StaticSite, stack: Stack, node_clients: Path
) -> None:
    strategy = {"strategy": "batching", "config": {"size": 10, "timeout": 200}}
    options = {"integrations": {"Segment.io": {"deliveryStrategy": strategy}}}
    settings = stubbed(site, stack)
    result, requests, _ = await send_from_page(
        browser, site, stack, node_clients, settings, options
    )
    events = wait_for(stack.analytics, by("anonymousId", result["anonymousId"]), 5)

    assert result["failures"] == []
    assert {r.url for r in requests if r.method == "POST"} == {stack.url + "/v1/b"}
    assert sorted(e["type"] for e in events) == ["alias", "group", "identify", "page", "track"]
    assert [e["properties"] for e in events if e["type"] == "track"] == [{"query": "cafe"}]


async def test_analytics_next_pointed_at_the_gateway_takes_its_settings_from_it(
    browser: Browser, site: StaticSite, stack: Stack, node_clients: Path
) -> None:
    """`cdnURL` set to the gateway and nothing else (but `protocol: 'http'`, since this gateway
    has no TLS): the gateway's settings document names itself as the API host."""
    settings = {"writeKey": WEB_KEY, "cdnURL": stack.url}
    options = {"integrations": {"Segment.io": {"protocol": "http"}}}
    result, requests, _ = await send_from_page(
        browser, site, stack, node_clients, settings, options
    )
    events = wait_for(stack.analytics, by("anonymousId", result["anonymousId"]), 5)

    assert result["failures"] == []
    fetched = [r.url for r in requests if r.method == "GET" and r.url.startswith(stack.url)]
    assert fetched == [f"{stack.url}/v1/projects/{WEB_KEY}/settings"]
    assert {r.url.split("/")[2] for r in requests} == {site.origin[7:], stack.host}
    assert sorted(e["type"] for e in events) == ["alias", "group", "identify", "page", "track"]
    assert [e["properties"] for e in events if e["type"] == "track"] == [{"query": "cafe"}]
