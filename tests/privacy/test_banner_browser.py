"""The SDK's consent banner in a real headless Chromium, on a shop page served by its own web
server (127.0.0.1 on another port: another origin, the same site as the gateway, as in a
first-party deployment),
with a GeoIP database placing one visitor in Germany and another in Japan. What reaches each
destination is read from real receivers.

Destinations: `svc` (service), `stats` (analytics), `ads` (advertising, US)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import yaml
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from tests.privacy.stack import FIELDS, KEY_ENV, KEY_VALUE, Stack
from tests.support.browser import BROWSER_MARKS
from tests.support.configs import WEB_KEY, default_sources, webhook, write_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "sdk-js" / "node_modules" / "axe-core" / "axe.min.js"
EU_IP, JP_IP = "198.51.100.7", "203.0.113.7"  # documentation ranges (RFC 5737)
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DESTINATIONS = ("svc", "stats", "ads")
ACCENT = "#5b2a86"  # the source's banner theme (white on it: 10:1)

HOST = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Test shop</title>
<style>body > div {{ display: block; padding: 3em; border: 4px solid; }}</style>
<script>window.gtagCalls = [];
window.gtag = function () {{ gtagCalls.push([...arguments]); }};</script>
<script src="{gateway}/sdk/v1/gateway.min.js"></script></head>
<body><header><h1>Test shop</h1></header><main><p id="content">Shoes, bags and hats.</p>
<button id="buy" type="button">Buy</button></main>
<script>
window.heard = [];
consentGateway.on('consent', (p) => heard.push(p));
consentGateway.init({{writeKey: '{key}', endpoint: '{gateway}', flushAt: 1}});
consentGateway.page('Home');
</script></body></html>"""

LAYOUT_SHIFT = """window.__cls = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
}).observe({type: 'layout-shift', buffered: true});"""

GPC = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"

FOCUSED = """() => {
  const a = document.activeElement;
  const inner = a && a.shadowRoot ? a.shadowRoot.activeElement : null;
  const name = inner && (inner.textContent || inner.getAttribute('name') || inner.className);
  return [a ? a.id : null, inner ? name : null];
}"""

AXE_RUN = """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})
  .then((r) => r.violations.map((v) => [v.id, v.help, v.nodes.map((n) => n.target.join(' '))]))"""

RECORDED = """() => {
  const r = JSON.parse(localStorage.getItem('cg_consent') || 'null');
  return !!(r && r.p && !r.s);
}"""

pytestmark = [
    *BROWSER_MARKS,
    pytest.mark.skipif(not AXE.is_file(), reason="sdk-js dependencies not installed: make sdk"),
]


def write_geo(path: Path) -> Path:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    for cidr, country in (("198.51.100.0/24", "DE"), ("203.0.113.0/24", "JP")):
        writer.insert_network(IPSet([cidr]), {"country": {"iso_code": country}})
    writer.to_db_file(str(path))
    return path


def destinations(receivers: dict[str, Receiver], extra: bool = False) -> list[dict[str, Any]]:
    listed = [
        webhook("svc", receivers["svc"].url, purposes=["service"], fields=FIELDS),
        webhook("stats", receivers["stats"].url, fields=FIELDS, description="Usage statistics"),
        webhook("ads", receivers["ads"].url, purposes=["advertising"], country="US", fields=FIELDS),
    ]
    if extra:  # a new third-party recipient: the notice version changes
        listed.append(
            webhook("crm", receivers["stats"].url, fields=FIELDS, country="AU", role="third_party")
        )
    return listed


class Shop:
    """The shop's own web server on 127.0.0.1 (its port differs from the gateway's: another
    origin, the same site). Every path answers with the shop page."""

    def __init__(self) -> None:
        shop = self
        self.html = b""

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(shop.html)))
                self.end_headers()
                self.wfile.write(shop.html)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class ShopStack(Stack):
    site: str = ""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopStack]:
    directory = tmp_path_factory.mktemp("banner")
    receivers = {name: Receiver() for name in DESTINATIONS}
    shop = Shop()
    sources = default_sources()
    sources[0]["allowed_origins"] = [shop.url]
    sources[0]["banner"] = {"theme": {"accent": ACCENT, "radius": "4px"}}
    gateway = {
        "secrets": {"key_env": KEY_ENV},
        "geo": {"database": str(write_geo(directory / "geo.mmdb"))},
        "trusted_proxies": {"networks": ["127.0.0.1/32"]},
    }
    config_dir = write_config(
        directory / "config", destinations=destinations(receivers), sources=sources,
        gateway=gateway,
    )  # fmt: skip
    process = GatewayProcess(config_dir, env={KEY_ENV: KEY_VALUE}).start()
    shop.html = HOST.format(gateway=process.url, key=WEB_KEY).encode()
    stack = ShopStack(process, receivers, config_dir, site=shop.url)
    yield stack
    stack.http.close()
    process.stop()
    shop.close()
    for receiver in receivers.values():
        receiver.close()


Visit = Callable[..., Awaitable[Any]]


@pytest_asyncio.fixture(loop_scope="module")
async def visit(browser: Any, stack: ShopStack) -> AsyncIterator[Visit]:
    """visit(ip, locale, gpc=False) -> a page on the shop, in a fresh browser profile whose
    requests the gateway places at `ip` (X-Forwarded-For from a trusted proxy)."""
    contexts: list[Any] = []

    async def open_shop(ip: str, locale: str, gpc: bool = False) -> Any:
        context = await browser.new_context(locale=locale)
        contexts.append(context)
        await place(context, stack, ip, gpc)
        await context.add_init_script(LAYOUT_SHIFT + (GPC if gpc else ""))
        page = await context.new_page()
        await page.goto(stack.site + "/shop")
        return page

    yield open_shop
    for context in contexts:
        await context.close()


async def place(context: Any, stack: ShopStack, ip: str, gpc: bool = False) -> None:
    """Requests to the gateway arrive as through a trusted proxy that names the visitor's
    address (and with Sec-GPC, which a browser with GPC on sends itself). Added below the
    page, so the page's requests stay simple ones (no CORS preflight)."""
    added = {"x-forwarded-for": ip, **({"sec-gpc": "1"} if gpc else {})}

    async def forward(route: Any) -> None:
        await route.continue_(headers={**route.request.headers, **added})

    await context.route(stack.url + "/**", forward)


def delivered(stack: ShopStack, anonymous_id: str) -> dict[str, set[str]]:
    """Per destination, the events (track name, or type) of this visitor it received."""
    stack.settle()
    return {
        name: {
            e.get("event") or e["type"]
            for e in stack.receivers[name].events()
            if e.get("anonymousId") == anonymous_id
        }
        for name in DESTINATIONS
    }


async def track(page: Any, event: str) -> None:
    await page.evaluate("(e) => { consentGateway.track(e); return consentGateway.flush(); }", event)


async def anonymous_id(page: Any) -> str:
    await page.evaluate("consentGateway.flush()")
    value = await page.evaluate("localStorage.getItem('cg_anon_id')")
    assert value
    return str(value)


def banner(page: Any) -> Any:
    return page.locator("#cg-banner")


async def violations(page: Any) -> list[Any]:
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    found: list[Any] = await page.evaluate(AXE_RUN, WCAG)
    return found


async def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / name))


async def test_eu_visitor_gets_the_banner_and_reject_all_leaves_only_service(
    stack: ShopStack, visit: Visit
) -> None:
    page = await visit(EU_IP, "en-US")
    dialog = page.get_by_role("dialog", name="Your privacy choices")
    await dialog.wait_for()
    await screenshot(page, "banner-eu.png")
    assert await page.evaluate("window.__cls") == 0  # the page did not move
    box = "document.getElementById('cg-banner').getBoundingClientRect()"
    assert await page.evaluate(f"[{box}.width, {box}.height]") == [0, 0]  # nor grew
    buttons = dialog.locator(".buttons button")
    assert await buttons.all_inner_texts() == ["Accept all", "Reject all", "Choose"]
    looks = [
        await buttons.nth(i).evaluate(
            "b => { const s = getComputedStyle(b); const r = b.getBoundingClientRect();"
            " return [s.fontSize, s.fontWeight, s.padding, s.color, s.backgroundColor,"
            " s.borderWidth, r.height, r.width]; }"
        )
        for i in range(3)
    ]
    assert looks[0] == looks[1] == looks[2]  # equally prominent: rejecting is as easy
    assert looks[0][4] == "rgb(91, 42, 134)"  # the source's theme
    radius = await buttons.first.evaluate("b => getComputedStyle(b).borderRadius")
    assert radius == "4px"
    anon = await anonymous_id(page)
    await track(page, "Before choice")
    before = delivered(stack, anon)
    assert before == {"svc": {"page", "Before choice"}, "stats": set(), "ads": set()}

    await dialog.get_by_role("button", name="Reject all").click()
    await banner(page).wait_for(state="detached")
    await page.wait_for_function(RECORDED)
    state = await page.evaluate("consentGateway.consent.get()")
    assert state["purposes"] == {"analytics": False, "advertising": False}
    assert state["decided_by"] == {"analytics": "preferences", "advertising": "preferences"}
    await track(page, "After reject")
    after = delivered(stack, anon)
    assert after == {"svc": {"page", "Before choice", "After reject"}, "stats": set(), "ads": set()}
    assert await page.evaluate("heard") == [{"analytics": False, "advertising": False}]


async def test_eu_accept_all_delivers_analytics_and_advertising_and_tells_gtag(
    stack: ShopStack, visit: Visit
) -> None:
    page = await visit(EU_IP, "en-US")
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("button", name="Accept all").click()
    await page.wait_for_function(RECORDED)
    anon = await anonymous_id(page)
    await track(page, "After accept")
    reached = delivered(stack, anon)
    assert "After accept" in reached["stats"] and "After accept" in reached["ads"]
    assert "page" not in reached["stats"]  # sent before the choice: no grant then
    granted = {
        "analytics_storage": "granted",
        "ad_storage": "granted",
        "ad_user_data": "granted",
        "ad_personalization": "granted",
    }
    assert await page.evaluate("gtagCalls") == [["consent", "update", granted]]


async def test_japan_gets_a_notice_events_flow_and_the_opt_out_stops_advertising(
    stack: ShopStack, visit: Visit
) -> None:
    page = await visit(JP_IP, "ja-JP")
    notice = page.get_by_role("region", name="プライバシーの設定")
    await notice.wait_for()
    assert await page.get_by_role("dialog").count() == 0  # a notice, not a modal question
    assert await page.evaluate("window.__cls") == 0
    text = await notice.inner_text()
    for word in ("外部サービスへ送信", "stats", "アメリカ合衆国", "送信される情報の詳細"):
        assert word in text, word
    details = notice.get_by_role("link", name="送信される情報の詳細")
    assert (
        await details.get_attribute("href") == stack.url + "/privacy/external-transmission?lang=ja"
    )
    await screenshot(page, "banner-jp.png")
    assert await violations(page) == []
    anon = await anonymous_id(page)
    assert delivered(stack, anon) == {"svc": {"page"}, "stats": {"page"}, "ads": {"page"}}

    await notice.get_by_role("button", name="広告目的の利用を拒否する").click()
    await page.wait_for_function(RECORDED)
    await track(page, "After opt-out")
    reached = delivered(stack, anon)
    assert "After opt-out" in reached["svc"] and "After opt-out" in reached["stats"]
    assert reached["ads"] == {"page"}
    await page.reload()
    await page.evaluate("consentGateway.flush()")
    await page.wait_for_timeout(500)
    assert await banner(page).count() == 0  # answered: it does not come back


async def test_japan_closing_the_notice_is_not_consent_and_it_does_not_nag(
    stack: ShopStack, visit: Visit
) -> None:
    page = await visit(JP_IP, "en-US")
    notice = page.get_by_role("region", name="Your privacy choices")
    await page.focus("#buy")
    await page.keyboard.press("Escape")  # the page's own key: the notice is not modal
    assert await notice.is_visible()
    assert (await page.evaluate(FOCUSED))[0] == "buy"  # and it did not take the focus
    await notice.get_by_role("button", name="Close").click()
    assert await page.evaluate("consentGateway.choice.get()") is None
    await page.reload()
    await page.evaluate("consentGateway.flush()")
    await page.wait_for_timeout(500)
    assert await banner(page).count() == 0


async def test_gpc_shows_advertising_refused_and_keeps_it_off(
    stack: ShopStack, visit: Visit
) -> None:
    page = await visit(EU_IP, "en-US", gpc=True)
    dialog = page.get_by_role("dialog")
    await dialog.get_by_text("Global Privacy Control").first.wait_for()
    await dialog.get_by_role("button", name="Choose").click()
    ads = dialog.get_by_role("checkbox", name="Advertising based on your browsing")
    assert await ads.is_disabled() and not await ads.is_checked()
    await screenshot(page, "banner-gpc.png")
    await dialog.get_by_role("button", name="Accept all").click()
    await page.wait_for_function(RECORDED)
    assert await page.evaluate("consentGateway.choice.get()") == {
        "analytics": True,
        "advertising": False,
    }
    anon = await anonymous_id(page)
    await track(page, "With GPC")
    reached = delivered(stack, anon)
    assert "With GPC" in reached["stats"] and "With GPC" not in reached["ads"]


async def test_keyboard_only_walk_with_focus_trap_and_escape(
    stack: ShopStack, visit: Visit
) -> None:
    page = await visit(EU_IP, "en-US")
    await page.get_by_role("dialog").wait_for()
    assert (await page.evaluate(FOCUSED))[0] == "cg-banner"  # focus moved into the dialog
    for _ in range(12):  # Tab never leaves the dialog
        await page.keyboard.press("Tab")
        assert (await page.evaluate(FOCUSED))[0] == "cg-banner"
    await page.keyboard.press("Escape")  # closes without a choice
    await banner(page).wait_for(state="detached")
    assert await page.evaluate("consentGateway.choice.get()") is None

    await page.reload()  # no choice was made: asked again
    await page.get_by_role("dialog").wait_for()
    for _ in range(12):
        await page.keyboard.press("Tab")
        if (await page.evaluate(FOCUSED))[1] == "Choose":
            break
    else:
        raise AssertionError("Tab never reached Choose")
    await page.keyboard.press("Enter")
    assert (await page.evaluate(FOCUSED))[1] == "analytics"  # the first choice has focus
    await page.keyboard.press("Space")
    await screenshot(page, "banner-eu-choose.png")
    assert await violations(page) == []  # the open dialog, its choices and the host page
    for _ in range(6):
        await page.keyboard.press("Tab")
        if (await page.evaluate(FOCUSED))[1] == "Save my choices":
            break
    await page.keyboard.press("Enter")
    await page.wait_for_function(RECORDED)
    assert await page.evaluate("consentGateway.choice.get()") == {
        "analytics": True,
        "advertising": False,
    }
    assert (await page.evaluate(FOCUSED))[0] != "cg-banner"


async def test_the_preference_page_first_then_the_sdk_uses_its_device(
    stack: ShopStack, browser: Any
) -> None:
    """A visitor refuses advertising on the preference page before any event; the SDK on the
    shop then sends under the device the page created, and the refusal holds."""
    # bypass_csp: only so that axe can be injected into the page (its CSP allows no
    # foreign script; tests/privacy/test_browser.py covers the page under its CSP).
    context = await browser.new_context(locale="en-US", bypass_csp=True)
    await place(context, stack, JP_IP)
    try:
        page = await context.new_page()
        await page.goto(stack.url + "/privacy/preferences?lang=en")
        assert await violations(page) == []
        await page.check("#purpose-advertising-off")
        await page.click("button.primary")
        await page.get_by_role("status").filter(has_text="saved").wait_for()
        device = next(c["value"] for c in await context.cookies() if c["name"] == "cg_anon_id")
        shop = await context.new_page()
        await shop.goto(stack.site + "/shop")
        assert await anonymous_id(shop) == device
        await track(shop, "After page refusal")
        reached = delivered(stack, device)
        assert "After page refusal" in reached["stats"]
        assert reached["ads"] == set()
    finally:
        await context.close()


async def test_a_new_recipient_brings_the_banner_back_marking_what_is_new(
    stack: ShopStack, visit: Visit
) -> None:
    page = await visit(EU_IP, "en-US")
    await page.get_by_role("dialog").get_by_role("button", name="Accept all").click()
    await page.wait_for_function(RECORDED)
    await page.reload()
    await page.evaluate("consentGateway.flush()")
    await page.wait_for_timeout(500)
    assert await banner(page).count() == 0  # chosen: it never nags

    settings = f"{stack.url}/v1/projects/{WEB_KEY}/settings"
    version = httpx.get(settings).json()["consent"]["notice_version"]
    reload_with(stack, destinations(stack.receivers, extra=True))
    try:
        wait_until(lambda: httpx.get(settings).json()["consent"]["notice_version"] != version)
        await page.reload()
        dialog = page.get_by_role("dialog")
        await dialog.wait_for()
        assert "Something has changed since you last chose" in await dialog.inner_text()
        await dialog.locator("summary").click()
        crm = dialog.get_by_role("listitem").filter(has_text="crm")
        assert "New" in await crm.inner_text()
        stats = dialog.get_by_role("listitem").filter(has_text="stats")
        assert "New" not in await stats.inner_text()
        await screenshot(page, "banner-renotice.png")
        assert await page.evaluate("consentGateway.choice.reviewRequired()") is True
    finally:
        reload_with(stack, destinations(stack.receivers))
        wait_until(lambda: httpx.get(settings).json()["consent"]["notice_version"] == version)


def reload_with(stack: ShopStack, listed: list[dict[str, Any]]) -> None:
    path = stack.config_dir / "destinations.yaml"
    path.write_text(yaml.safe_dump({"destinations": listed}, sort_keys=False))
    process = stack.gateway.process
    assert process is not None
    process.send_signal(signal.SIGHUP)


def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the gateway did not reload")
        time.sleep(0.1)
