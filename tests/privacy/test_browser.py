"""The preference center in a real headless Chromium: switch language, refuse advertising
with the keyboard only, see the confirmation, and the browser's next events reach analytics
but no advertising destination. Plus the page's accessibility basics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from tests.privacy.stack import Stack, new_id
from tests.support.browser import BROWSER_MARKS
from tests.support.configs import WEB_KEY

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SEND = """async ([writeKey, anonymousId, event]) => {
  const messageId = anonymousId + '-' + event;
  const r = await fetch('/v1/batch', {method: 'POST', headers: {'content-type': 'text/plain'},
    body: JSON.stringify({writeKey, batch: [{type: 'track', event, anonymousId, messageId}]})});
  return [r.status, messageId];
}"""

CONTRAST = """() => {
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (color) => {
    const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map(Number).map(channel);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const color = getComputedStyle(el).backgroundColor;
      if (color !== 'rgba(0, 0, 0, 0)' && color !== 'transparent') return color;
    }
    return 'rgb(255, 255, 255)';
  };
  const ratios = [];
  for (const el of document.querySelectorAll('body *')) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const a = luminance(getComputedStyle(el).color), b = luminance(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    ratios.push([el.textContent.trim().slice(0, 40), ratio]);
  }
  return ratios;
}"""

pytestmark = [
    *BROWSER_MARKS,
]


@pytest_asyncio.fixture(loop_scope="module")
async def browser_page(browser: Any, stack: Stack) -> AsyncIterator[Any]:
    """A fresh Japanese-speaking browser profile on the gateway's origin."""
    context = await browser.new_context(locale="ja-JP")
    try:
        page = await context.new_page()
        await page.goto(stack.url + "/privacy/preferences")
        yield page
    finally:
        await context.close()


async def send(page: Any, anonymous_id: str, event: str) -> str:
    """A track event sent by the page itself (same origin, with its cookie)."""
    status, message_id = await page.evaluate(SEND, [WEB_KEY, anonymous_id, event])
    assert status == 200
    return str(message_id)


async def low_contrast(page: Any) -> list[tuple[str, float]]:
    """Text below WCAG 2.x AA contrast (4.5:1) against its background."""
    ratios = await page.evaluate(CONTRAST)
    assert ratios, "no text found"
    return [(text, round(ratio, 2)) for text, ratio in ratios if ratio < 4.5]


async def tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches (reading focus is not interacting)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_refusing_advertising_with_the_keyboard_only(stack: Stack, browser_page: Any) -> None:
    page = browser_page
    anonymous_id = new_id("browser")
    first = await send(page, anonymous_id, "before")
    cookies = await page.context.cookies()
    # The page, opened first, gave this profile a device (cg_anon_id, shared with the SDK).
    assert sorted((c["name"], c["httpOnly"], c["sameSite"]) for c in cookies) == [
        ("cg_anon_id", False, "Lax"),
        ("gw_sid", True, "Lax"),
    ]
    await page.reload()
    assert await page.get_attribute("html", "lang") == "ja"
    assert await page.inner_text("h1") == "プライバシーの設定"

    await tab_to(page, 'a[hreflang="en"]')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert page.url.endswith("/privacy/preferences?lang=en")
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.inner_text("h1") == "Your privacy choices"

    await tab_to(page, 'input[name="purpose.advertising"]')
    assert await page.evaluate("document.activeElement.value") == "on"
    await page.keyboard.press("ArrowRight")
    assert await page.is_checked("#purpose-advertising-off")
    assert await page.is_checked("#purpose-analytics-on")
    await tab_to(page, "button.primary")
    await page.keyboard.press("Space")
    status = page.get_by_role("status")
    await status.filter(has_text="Your choices have been saved.").wait_for(timeout=10_000)
    assert await page.inner_text('[data-decided="advertising"]') == "preferences"
    assert await low_contrast(page) == []  # the confirmation too
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "preferences.png"), full_page=True)

    state = await page.evaluate("fetch('/v1/consent').then(r => r.json())")
    assert state["purposes"] == {"analytics": True, "advertising": False}
    assert state["decided_by"]["advertising"] == "preferences"
    after = await send(page, anonymous_id, "after")
    stack.settle()
    assert stack.reached(first) == {"stats", "stats2", "ads"}
    assert stack.reached(after) == {"stats", "stats2"}


async def test_enter_in_a_choice_saves_that_choice(stack: Stack, browser_page: Any) -> None:
    """Enter in a form field submits with the default button: the choice just made is saved."""
    page = browser_page
    await send(page, new_id("browser"), "opened")
    await page.goto(stack.url + "/privacy/preferences?lang=en")
    await tab_to(page, 'input[name="purpose.advertising"]')
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Enter")
    await page.get_by_role("status").filter(has_text="saved").wait_for(timeout=10_000)
    state = await page.evaluate("fetch('/v1/consent').then(r => r.json())")
    assert state["purposes"] == {"analytics": True, "advertising": False}


async def test_accessibility_basics(stack: Stack, browser_page: Any) -> None:
    page = browser_page
    await send(page, new_id("browser"), "opened")
    await page.goto(stack.url + "/privacy/preferences?lang=en")
    radios = await page.query_selector_all('input[type="radio"]')
    assert len(radios) == 2 * (2 + 1 + 3)  # 2 purposes, the ad ID, 3 vendors
    for radio in radios:
        label = await radio.evaluate("r => [...r.labels].map(l => l.textContent.trim())")
        assert label in (["Allow"], ["Refuse"]), await radio.get_attribute("id")
        legend = await radio.evaluate("r => r.closest('fieldset').querySelector('legend')")
        assert legend is not None
    for fieldset in await page.query_selector_all("fieldset"):
        legend = await fieldset.evaluate("f => f.firstElementChild.tagName")
        assert legend == "LEGEND"
        assert (await fieldset.evaluate("f => f.firstElementChild.textContent")).strip()
    # Each choice is a named radio group a screen reader can announce.
    for name in ("Measuring and improving our services", "Advertising identifier (IDFA / AAID)",
                 "stats", "ads"):  # fmt: skip
        group = page.get_by_role("group", name=name, exact=True)
        assert await group.get_by_role("radio").count() == 2

    status = page.get_by_role("status")
    assert await status.count() == 1
    assert await status.get_attribute("aria-live") == "polite"

    buttons = page.locator("form button")
    labels = [label.strip() for label in await buttons.all_inner_texts()]
    allow, refuse = labels.index("Allow all"), labels.index("Refuse all optional")
    assert abs(allow - refuse) == 1
    styles = [
        await buttons.nth(i).evaluate(
            "b => { const s = getComputedStyle(b); return [s.fontSize, s.padding, s.color,"
            " s.backgroundColor, s.borderWidth, b.getBoundingClientRect().height]; }"
        )
        for i in (allow, refuse)
    ]
    assert styles[0] == styles[1]  # refusing looks exactly as easy as allowing
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.title() == "Your privacy choices"
    assert await low_contrast(page) == []
