"""The console in a real headless Chromium against a real gateway process, its SQLite store
and real receivers: sign in, add a field, save, see it delivered and in the live debugger;
an invalid edit; two people editing one destination."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from tests.console.stack import EDITOR, READER, ConsoleStack, wait_until
from tests.privacy.test_browser import low_contrast
from tests.support.browser import BROWSER_MARKS
from tests.support.configs import SERVER_KEY

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
UNLABELLED = """() => [...document.querySelectorAll('input, textarea, select, button')]
  .filter((el) => el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 80))"""

pytestmark = [
    *BROWSER_MARKS,
]


async def signed_in(browser: Any, console: ConsoleStack, token: str = EDITOR) -> Any:
    """A new profile signed in through the form, with the keyboard."""
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(console.url + "/console?lang=en")
    assert await page.inner_text("h1") == "Sign in"
    await page.focus("#token")
    await page.keyboard.type(token)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await page.inner_text("h1") == "Overview"
    return page


async def test_sign_in_edit_deliver_and_watch_it_live(browser: Any, console: ConsoleStack) -> None:
    page = await signed_in(browser, console)
    try:
        cookies = await page.context.cookies()
        session = next(c for c in cookies if c["name"] == "cg_console")
        assert (session["httpOnly"], session["sameSite"], session["path"]) == (
            True,
            "Strict",
            "/console",
        )
        assert "analytics" in await page.inner_text("table:nth-of-type(2)")
        assert await page.evaluate(UNLABELLED) == []
        assert await low_contrast(page) == []

        # The live debugger, open in a second tab before the event is sent.
        watcher = await page.context.new_page()
        await watcher.goto(console.url + "/console/debugger?lang=en")
        assert await watcher.inner_text("h1") == "Live debugger"

        await page.goto(console.url + "/console/destinations/analytics?lang=en")
        assert await page.evaluate(UNLABELLED) == []
        await page.focus("#add_field")
        await page.keyboard.type("properties.plan")
        await page.focus("#save")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert await page.inner_text("[role=status]") == "Saved and reloaded."
        assert (await page.input_value("#fields")).splitlines()[-1] == "properties.plan"
        assert "properties.plan" in await page.input_value("#config")
        assert await low_contrast(page) == []
        text = console.file()
        assert "# The analytics hook" in text and "# keep this list short" in text
        assert yaml.safe_load(text)["destinations"][0]["fields"][-1] == "properties.plan"
        await page.screenshot(path=str(ARTIFACTS / "console-editor-saved.png"), full_page=True)

        message_id = "browser-" + uuid.uuid4().hex[:10]
        sent = time.monotonic()
        console.send(
            {
                "type": "track",
                "event": "Upgraded",
                "messageId": message_id,
                "anonymousId": "b1",
                "properties": {"plan": "pro", "seats": 3},
            },
            SERVER_KEY,
        )
        await watcher.wait_for_selector(f'tr[data-message-id="{message_id}"]', timeout=2000)
        seen_after = time.monotonic() - sent
        assert seen_after < 2.0
        row = await watcher.inner_text(f'tr[data-message-id="{message_id}"]')
        assert "analytics: send" in row
        assert await low_contrast(watcher) == []
        await watcher.screenshot(path=str(ARTIFACTS / "console-debugger.png"), full_page=True)

        delivered = wait_until(
            lambda: [
                e for e in console.receivers["analytics"].events() if e["messageId"] == message_id
            ]
        )
        assert delivered[0]["properties"] == {"plan": "pro"}
        print(f"debugger row shown {seen_after * 1000:.0f} ms after the event was posted")
    finally:
        await page.context.close()


async def test_an_invalid_yaml_edit_shows_the_checks_sentence_and_leaves_the_file(
    browser: Any, console: ConsoleStack
) -> None:
    original = console.file()
    page = await signed_in(browser, console)
    try:
        await page.goto(console.url + "/console/destinations/analytics?lang=en")
        await page.focus("#advanced summary")
        await page.keyboard.press("Enter")  # opens the YAML view
        text = await page.input_value("#config")
        await page.fill("#config", text.replace("country: JP", "country: CN"))
        async with page.expect_navigation():
            await page.click("#save-yaml")
        alert = await page.inner_text("#problems")
        assert "nothing was written" in alert
        assert 'destinations.yaml: destination "analytics": country' in alert
        assert "CN" in alert
        # The person's text is kept for fixing, in the view they used.
        assert await page.get_attribute("#advanced", "open") is not None
        assert "country: CN" in await page.input_value("#config")
        assert console.file() == original
        await page.screenshot(path=str(ARTIFACTS / "console-editor-problems.png"), full_page=True)
    finally:
        await page.context.close()


async def test_an_invalid_key_in_the_form_shows_its_sentence_beside_it_and_leaves_the_file(
    browser: Any, console: ConsoleStack
) -> None:
    original = console.file()
    page = await signed_in(browser, console)
    try:
        await page.goto(console.url + "/console/destinations/analytics?lang=en")
        assert await page.evaluate(UNLABELLED) == []
        assert await page.get_attribute("#country", "aria-invalid") is None
        await page.focus("#country")
        await page.keyboard.press("Control+A")
        await page.keyboard.type("CN")
        await page.focus("#transforms")
        await page.keyboard.type("event: rot13")
        await page.focus("#save")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        beside = await page.inner_text("#country-error")
        assert beside.startswith('country "CN" is not an allowed transfer country')
        assert "country-error" in (await page.get_attribute("#country", "aria-describedby") or "")
        assert await page.get_attribute("#country", "aria-invalid") == "true"
        assert "transforms.event: must be sha256" in await page.inner_text("#transforms-error")
        # Only the keys at fault are marked; the summary links to them.
        assert await page.locator("[aria-invalid=true]").count() == 2
        assert await page.locator("#fields-error").count() == 0
        summary = page.locator("#problems")
        assert "nothing was written" in await summary.inner_text()
        links = await summary.locator("a").evaluate_all("(a) => a.map((x) => x.hash)")
        assert sorted(links) == ["#country", "#transforms"]
        # What the person typed is kept for fixing.
        assert await page.input_value("#country") == "CN"
        assert await page.input_value("#transforms") == "event: rot13"
        assert console.file() == original
        assert await low_contrast(page) == []
        await page.screenshot(path=str(ARTIFACTS / "console-form-problems.png"), full_page=True)
    finally:
        await page.context.close()


async def test_a_field_added_through_the_form_from_the_seen_paths_keeps_the_file_as_it_was(
    browser: Any, console: ConsoleStack
) -> None:
    original = console.file()
    console.send(
        {
            "type": "track",
            "event": "Seen",
            "messageId": "seen-" + uuid.uuid4().hex[:10],
            "anonymousId": "f1",
            "properties": {"coupon_code": "SPRING"},
        },
        SERVER_KEY,
    )
    page = await signed_in(browser, console)
    try:
        await page.goto(console.url + "/console/destinations/crm?lang=ja")
        offered = await page.locator("#seen-paths option").evaluate_all(
            "(options) => options.map((o) => o.value)"
        )
        assert "properties.coupon_code" in offered
        await page.focus("#add_field")
        await page.keyboard.type("properties.coupon_code")
        await page.focus("#save")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert await page.inner_text("[role=status]") == "保存して再読み込みしました。"
        after = console.file()
        # One line changed: the crm destination's field list; comments and styles stay.
        changed = [
            (old, new)
            for old, new in zip(original.splitlines(), after.splitlines(), strict=True)
            if old != new
        ]
        assert changed == [
            (
                "    fields: [type, event, messageId, properties.plan]",
                "    fields: [type, event, messageId, properties.plan, properties.coupon_code]",
            )
        ]
    finally:
        await page.context.close()


async def test_two_sessions_editing_one_destination_the_second_gets_a_conflict(
    browser: Any, console: ConsoleStack
) -> None:
    first = await signed_in(browser, console)
    second = await signed_in(browser, console)
    try:
        for page in (first, second):
            await page.goto(console.url + "/console/destinations/crm?lang=ja")
            assert await page.get_attribute("html", "lang") == "ja"
        for page, words in ((first, "first editor"), (second, "second editor")):
            await page.fill("#description", words)
        async with first.expect_navigation():
            await first.click("#save")
        assert await first.inner_text("[role=status]") == "保存して再読み込みしました。"
        async with second.expect_navigation():
            await second.click("#save")
        assert "他の人が先に保存しました" in await second.inner_text("#conflict")
        # Nothing lost: the second person's values are still in the form, the saved one beside.
        assert await second.input_value("#description") == "second editor"
        assert "description: first editor" in await second.inner_text("#current")
        assert "first editor" in console.file() and "second editor" not in console.file()
        await second.screenshot(path=str(ARTIFACTS / "console-conflict.png"), full_page=True)

        # Saving again from the conflict page (it carries the new version) goes through.
        async with second.expect_navigation():
            await second.click("#save")
        assert "second editor" in console.file()
    finally:
        await first.context.close()
        await second.context.close()


async def test_a_read_only_token_sees_but_cannot_save(browser: Any, console: ConsoleStack) -> None:
    page = await signed_in(browser, console, READER)
    try:
        await page.goto(console.url + "/console/destinations/crm?lang=en")
        assert await page.locator("#save").count() == 0
        assert "config:write" in await page.inner_text("[role=note]")
        await page.goto(console.url + "/console/debugger?lang=en")
        assert "debug:read" in await page.inner_text("main")
        # Sign out: the cookie no longer opens the console.
        await page.goto(console.url + "/console?lang=en")
        async with page.expect_navigation():
            await page.click("header button")
        assert await page.inner_text("h1") == "Sign in"
    finally:
        await page.context.close()
