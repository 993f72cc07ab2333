"""The loader snippet in real headless Chromium, on a shop page of its own origin, against a
real gateway process: events reach loopback receivers with the policy applied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Request

from tests.e2e.site import StaticSite
from tests.e2e.stack import (
    ADS_FIELDS,
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

GPC_SCRIPT = """Object.defineProperty(Navigator.prototype, 'globalPrivacyControl',
  {get: () => true, configurable: true});"""

# The demo's feed (what its file destination wrote) shows this visitor's GPS event.
FEED_SHOWS = """(anonymousId) => {
  let feed = {};
  try { feed = JSON.parse(document.getElementById('feed').textContent); } catch {}
  return (feed['demo-feed'] || []).map((line) => line.event)
    .find((e) => e.anonymousId === anonymousId && e.event === 'Store Searched');
}"""


def shop_page(stack: Stack, dist: Path, calls: str, **options: Any) -> str:
    """A page with the async loader from dist/snippet.min.js pointed at the gateway."""
    loader = (dist / "snippet.min.js").read_text().strip().replace("https://GATEWAY", stack.url)
    init = {"writeKey": WEB_KEY, "endpoint": stack.url, **options}
    return f"""<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>Shop</title>
<script>{loader}
consentGateway.init({json.dumps(init)});
{calls}</script></head>
<body><a id="away" href="/bye.html">Leave</a></body></html>"""


def sdk_calls(user: str) -> str:
    store_searched = {
        "query": "cafe",
        "latitude": 35.68,
        "longitude": 139.76,
        "photo": PNG_DATA_URI,
        "friends": {"contacts": [{"name": "Hanako", "phone": "090-0000-0000"}]},
    }
    return f"""consentGateway.page();
consentGateway.identify({json.dumps(user)}, {{plan: 'pro', email: 'Taro.Yamada@example.jp'}});
consentGateway.track('Product Viewed', {{product_id: 'sku-1', price: 1200, currency: 'JPY'}});
consentGateway.track('Store Searched', {json.dumps(store_searched)});
"""


async def open_shop(
    browser: Browser, site: StaticSite, html: str, **context_options: Any
) -> tuple[BrowserContext, Page, list[Request]]:
    context = await browser.new_context(**context_options)
    requests: list[Request] = []
    context.on("request", lambda request: requests.append(request))
    page = await context.new_page()
    path = f"/shop/{run_id()}/index.html"
    site.add(path, html)
    await page.goto(site.origin + path + "?q=cafe&lat=35.68&lng=139.76")
    await page.wait_for_function("window.consentGateway && window.consentGateway.version")
    return context, page, requests


async def queued(page: Page, count: int) -> str:
    """Waits until `count` events wait in storage; returns the page's anonymousId."""
    await page.wait_for_function(
        f"JSON.parse(localStorage.getItem('cg_queue') || '[]').length === {count}"
    )
    return str(await page.evaluate("localStorage.getItem('cg_anon_id')"))


async def test_snippet_events_arrive_by_beacon_after_navigating_away(
    browser: Browser, site: StaticSite, stack: Stack, sdk_dist: Path
) -> None:
    user = f"user-{run_id()}"
    # Nothing is sent before the page goes away: only the pagehide beacon can deliver.
    html = shop_page(stack, sdk_dist, sdk_calls(user), flushAt=50, flushInterval=600000)
    site.add("/bye.html", "<!doctype html><title>Bye</title><p>Thanks for visiting.</p>")
    context, page, requests = await open_shop(browser, site, html)
    anonymous_id = await queued(page, 4)
    # No event sent (the GET of the consent banner's settings is not one).
    assert not [r for r in requests if r.url.startswith(stack.url + "/v1/") and r.method != "GET"]

    await page.click("#away")
    await page.wait_for_url(site.origin + "/bye.html")
    events = wait_for(stack.analytics, by("anonymousId", anonymous_id), 4)
    ads = wait_for(stack.ads, by("anonymousId", anonymous_id), 4)
    await context.close()

    # Playwright does not report a beacon sent while the page unloads; the events are proof.
    assert {r.url.split("/")[2] for r in requests} <= {site.origin[7:], stack.host}

    kinds = sorted((e["type"], e.get("event") or e.get("name", "")) for e in events)
    assert kinds == [
        ("identify", ""), ("page", ""), ("track", "Product Viewed"), ("track", "Store Searched"),
    ]  # fmt: skip
    for event in events:
        assert disallowed_paths(event, ANALYTICS_FIELDS) == []
        assert forbidden_keys(event) == []
        assert event["context"]["library"]["name"] == "consent-gateway-js"
        assert event["context"]["consent"]["gpc"] is False
        page_context = event["context"]["page"]
        assert page_context["path"].startswith("/shop/")
        assert "q=cafe" in page_context["url"] and not COORDINATE_QUERY.search(page_context["url"])
    track = {e.get("event"): e for e in events}
    # The contacts go; the emptied object that held them stays.
    assert track["Store Searched"]["properties"] == {"query": "cafe", "friends": {}}
    assert track["Product Viewed"]["properties"] == {
        "product_id": "sku-1", "price": 1200, "currency": "JPY",
    }  # fmt: skip
    assert track["Product Viewed"]["userId"] == user
    identify = next(e for e in events if e["type"] == "identify")
    assert identify["traits"] == {"plan": "pro"}  # email is not in the allow-list
    for event in ads:
        assert disallowed_paths(event, ADS_FIELDS) == []


@pytest.mark.parametrize("signal", ["sec-gpc-header", "navigator-gpc"])
async def test_global_privacy_control_stops_advertising_only(
    browser: Browser, site: StaticSite, stack: Stack, sdk_dist: Path, signal: str
) -> None:
    options: dict[str, Any] = {}
    if signal == "sec-gpc-header":
        options["extra_http_headers"] = {"Sec-GPC": "1"}
    html = shop_page(stack, sdk_dist, sdk_calls(f"user-{run_id()}"), flushAt=50)
    refused_before = stack.not_forwarded("ads", "purpose_not_granted")

    context = await browser.new_context(**options)
    if signal == "navigator-gpc":
        await context.add_init_script(GPC_SCRIPT)
    page = await context.new_page()
    path = f"/shop/{run_id()}/index.html"
    await page.goto(site.add(path, html))
    await page.wait_for_function("window.consentGateway && window.consentGateway.version")
    anonymous_id = await queued(page, 4)
    await page.evaluate("consentGateway.flush()")
    stats = await page.evaluate("consentGateway.stats()")
    events = wait_for(stack.analytics, by("anonymousId", anonymous_id), 4)
    await context.close()

    assert stats["sent"] == 4 and stats["dropped"] == {}
    assert {e["context"]["consent"]["gpc"] for e in events} == {signal == "navigator-gpc"}
    assert stack.not_forwarded("ads", "purpose_not_granted") - refused_before == 4
    assert [e for e in stack.ads.events() if e.get("anonymousId") == anonymous_id] == []


async def test_consent_set_from_the_page_stops_advertising(
    browser: Browser, site: StaticSite, stack: Stack, sdk_dist: Path
) -> None:
    """consent.get/set from another origin, with the subject token the SDK kept from the
    Gateway-Subject header (the gw_sid cookie is not sent cross-site)."""
    html = shop_page(stack, sdk_dist, "", flushAt=50)
    context, page, _ = await open_shop(browser, site, html)
    await page.evaluate("consentGateway.track('Before Opt Out'); consentGateway.flush()")
    anonymous_id = await page.evaluate("localStorage.getItem('cg_anon_id')")
    assert wait_for(stack.ads, by("anonymousId", anonymous_id), 1)[0]["event"] == "Before Opt Out"

    token = await page.evaluate("localStorage.getItem('cg_subject')")
    cookies = await context.cookies(stack.url)
    before = await page.evaluate("consentGateway.consent.get()")
    after = await page.evaluate("consentGateway.consent.set({purposes: {advertising: false}})")
    refused_before = stack.not_forwarded("ads", "purpose_not_granted")
    await page.evaluate("consentGateway.track('After Opt Out'); consentGateway.flush()")
    events = wait_for(stack.analytics, by("anonymousId", anonymous_id), 2)
    await context.close()

    assert token and token.startswith("v1.") and cookies == []
    assert before["purposes"]["advertising"] is True
    assert after["purposes"] == {"analytics": True, "advertising": False}
    assert [e["event"] for e in events] == ["Before Opt Out", "After Opt Out"]
    assert stack.not_forwarded("ads", "purpose_not_granted") - refused_before == 1
    assert [e["event"] for e in stack.ads.events() if e.get("anonymousId") == anonymous_id] == [
        "Before Opt Out"
    ]


async def test_demo_page_shows_events_flow_and_opens_preferences(
    browser: Browser, stack: Stack
) -> None:
    """The page `make run` shows newcomers, served by the gateway itself (same origin)."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(stack.url + "/demo")
    await page.click("#gps")
    anonymous_id = await page.evaluate("localStorage.getItem('cg_anon_id')")
    found = await page.wait_for_function(FEED_SHOWS, arg=anonymous_id, timeout=15000)
    searched = await found.json_value()
    async with context.expect_page() as opened:
        await page.click("#prefs")
    preferences = await opened.value
    await preferences.wait_for_load_state()
    heading = await preferences.text_content("h1")
    await context.close()

    assert searched["properties"] == {"query": "shoes"}  # latitude/longitude removed
    assert preferences.url.startswith(stack.url + "/privacy/preferences")
    assert heading


# What a browser that blocks cookies and site data does: touching localStorage throws.
NO_STORAGE_SCRIPT = """Object.defineProperty(window, 'localStorage', {
  get() { throw new DOMException('The user denied storage', 'SecurityError'); }});"""


async def test_snippet_works_when_storage_is_blocked(
    browser: Browser, site: StaticSite, stack: Stack, sdk_dist: Path
) -> None:
    user = f"user-{run_id()}"
    html = shop_page(stack, sdk_dist, sdk_calls(user), flushAt=50)
    context = await browser.new_context()
    await context.add_init_script(NO_STORAGE_SCRIPT)
    page = await context.new_page()
    await page.goto(site.add(f"/shop/{run_id()}/index.html", html))
    await page.wait_for_function("window.consentGateway && window.consentGateway.version")
    await page.evaluate("consentGateway.flush()")
    stats = await page.evaluate("consentGateway.stats()")
    identified = wait_for(stack.analytics, by("userId", user), 2)
    anonymous_id = identified[0]["anonymousId"]
    events = wait_for(stack.analytics, by("anonymousId", anonymous_id), 4)
    await context.close()

    assert stats == {"sent": 4, "retries": 0, "dropped": {}}
    assert sorted(e["type"] for e in events) == ["identify", "page", "track", "track"]
