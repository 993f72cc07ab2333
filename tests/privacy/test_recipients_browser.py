"""The pages of issue 18 in a real headless Chromium: the external-transmission notice names
each recipient with its role, country, purposes in the policy's words, data categories and
transforms, links the recipients' and the company's policies, the contact desk and the
children's rule; when a third party is added after a person chose, the preference page
says so and marks it, `GET /v1/consent` says `review_required`, and the new recipient gets
nothing of theirs until they choose again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.privacy.law import EXPLICIT, LawStack, start_law_stack, stop_law_stack
from tests.privacy.stack import OFFICE, new_id
from tests.support.browser import BROWSER_MARKS
from tests.support.configs import WEB_KEY

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SEND = """async ([writeKey, anonymousId]) => {
  const messageId = anonymousId + '-' + Math.random().toString(36).slice(2);
  const r = await fetch('/v1/batch', {method: 'POST', headers: {'content-type': 'text/plain'},
    body: JSON.stringify({writeKey, batch: [{type: 'track', event: 'Viewed', anonymousId,
                                             messageId}]})});
  return [r.status, messageId];
}"""
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
CONSENT = """async () => (await fetch('/v1/consent', {credentials: 'same-origin'})).json()"""

pytestmark = [
    *BROWSER_MARKS,
]


@pytest.fixture(scope="module")
def law(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LawStack]:
    stack = start_law_stack(tmp_path_factory.mktemp("law-browser") / "config")
    yield stack
    stop_law_stack(stack)


async def new_page(browser: Any, locale: str) -> Any:
    context = await browser.new_context(locale=locale)
    return await context.new_page()


async def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / name), full_page=True)


async def test_the_notice_names_each_recipient_and_how_its_data_is_treated(
    law: LawStack, browser: Any
) -> None:
    page = await new_page(browser, "en-US")
    try:
        await page.goto(law.url + "/privacy/external-transmission?lang=en")
        partner = page.locator('tr[data-recipient="partner"]')
        text = await partner.inner_text()
        for words in ("Partner Ads K.K.", "privacy@partner.example",
                      "Third party (only with your consent)", "United States",
                      "Advertising based on your browsing and usage history"):  # fmt: skip
            assert words in text, words
        links = partner.get_by_role("link")
        assert await links.nth(0).get_attribute("href") == "https://partner.example/privacy"
        assert await links.nth(1).get_attribute("href") == "https://partner.example/opt-out"
        ads = await page.locator('tr[data-recipient="ads"]').inner_text()
        assert "Processes for us (outsourcing)" in ads and "hashed" in ads
        stats = await page.locator('tr[data-recipient="stats"]').inner_text()
        assert "Measuring how our services are used" in stats
        footer = await page.locator("footer").inner_text()
        assert "0120-924721" in footer and "no advertising identifier" in footer
        policy = page.get_by_role("link", name="Our privacy policy")
        assert await policy.get_attribute("href") == "https://company.example/privacy"
        await screenshot(page, "notice-recipients-en.png")

        await page.goto(law.url + "/privacy/external-transmission?lang=ja")
        partner_ja = await page.locator('tr[data-recipient="partner"]').inner_text()
        assert "第三者（ご同意がある場合のみ）" in partner_ja
        assert "閲覧・利用履歴に基づく広告の配信" in partner_ja
        assert "お子さま" in await page.locator("footer").inner_text()
        await screenshot(page, "notice-recipients-ja.png")
    finally:
        await page.context.close()


async def test_a_new_third_party_is_asked_about_and_gets_nothing_until_chosen(
    law: LawStack, browser: Any
) -> None:
    page = await new_page(browser, "en-US")
    try:
        await page.goto(law.url + "/privacy/preferences?lang=en")
        anon = new_id("chooser")
        status, _ = await page.evaluate(SEND, [WEB_KEY, anon])
        assert status == 200
        await page.reload()
        assert await page.locator(".review").count() == 0
        await page.get_by_role("button", name="Allow all").click()
        await page.get_by_role("status").filter(has_text="saved").wait_for()
        assert (await page.evaluate(CONSENT))["review_required"] is False

        law.reconfigure(extra=True)
        try:
            state = await page.evaluate(CONSENT)
            assert state["review_required"] is True
            assert state["new"] == {"purposes": [], "recipients": ["partner2"]}
            _, held = await page.evaluate(SEND, [WEB_KEY, anon])
            law.settle()
            assert {"partner", "stats"} <= law.reached(held) and "partner2" not in law.reached(held)

            await page.reload()
            assert "Something has changed" in await page.locator(".review").inner_text()
            vendors = page.locator("fieldset").filter(has_text="Outside services")
            new_rows = vendors.locator("strong.new")
            assert await new_rows.count() == 1
            assert "Second Partner Inc." in await new_rows.locator("xpath=..").inner_text()
            assert await page.is_checked(
                'input[name="vendor.partner2"][value="off"]'
            )  # not pre-ticked
            await screenshot(page, "preferences-review-en.png")

            await page.get_by_role("button", name="Allow all").click()
            await page.get_by_role("status").filter(has_text="saved").wait_for()
            assert (await page.evaluate(CONSENT))["review_required"] is False
            _, chosen = await page.evaluate(SEND, [WEB_KEY, anon])
            law.settle()
            assert "partner2" in law.reached(chosen)
        finally:
            law.reconfigure(extra=False)
    finally:
        await page.context.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_a_disclosure_reads_as_a_page_for_the_customer(
    law: LawStack, browser: Any, lang: str
) -> None:
    anon = new_id("reader")
    token = law.token_for(anon)
    law.consent(token, {"purposes": {"advertising": True}})
    law.post({"anonymousId": anon, "context": EXPLICIT})
    law.settle()
    law.wait_recorded(anon, 4 + 1)  # the token's own event reached stats, ads, meta too
    law.outage("stats")
    retries = law.metric("gateway_deliveries_total", destination="stats", outcome="retry")
    law.post({"anonymousId": anon})
    law.wait_retries("stats", retries)
    answer = law.http.post(
        law.url + "/admin/dsar/disclosure",
        params={"format": "html", "lang": lang},
        json={"subject": anon},
        headers={"authorization": f"Bearer {OFFICE}"},
    )
    law.recover()
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "script-src 'nonce-" in answer.headers["content-security-policy"]
    assert anon not in answer.text and "a_" not in answer.text  # no identifiers, no keys
    page = await new_page(browser, "ja-JP" if lang == "ja" else "en-US")
    try:
        await page.set_content(answer.text)
        text = await page.inner_text("main")
        times = await page.locator("time").all_inner_texts()
        assert times and all(ISO.fullmatch(t) for t in times)
        expected = {
            "ja": ("Partner Ads K.K.", "第三者（ご同意がある場合のみ）",
                   "同意バナーでのお客様の選択", "お客様の選択", "送信待ち", "アメリカ合衆国"),
            "en": ("Partner Ads K.K.", "Third party (only with your consent)",
                   "your choice on the consent banner",
                   "our default (no choice made; you can refuse)", "waiting to be sent",
                   "United States"),
        }[lang]  # fmt: skip
        for words in expected:
            assert words in text, words
        await screenshot(page, f"disclosure-{lang}.png")
    finally:
        await page.context.close()
