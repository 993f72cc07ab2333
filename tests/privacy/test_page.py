"""The preference center without a browser: language negotiation, the state shown, and the
no-JavaScript path (a plain form POST answered with the page and a confirmation)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.privacy.stack import Stack, anon_key, new_id, subject_tokens
from tests.support.configs import WEB_KEY

PAGE = "/privacy/preferences"


def page(stack: Stack, token: str | None, query: str = "", **headers: str) -> httpx.Response:
    if token is not None:
        headers["cookie"] = f"gw_sid={token}"
    return stack.http.get(stack.url + PAGE + query, headers=headers)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF token in the form"
    return found.group(1)


def checked(html: str, name: str) -> str:
    """The value ("on"/"off") of the checked radio of a group."""
    found = re.search(rf'<input type="radio" id="[^"]+" name="{re.escape(name)}" '
                      r'value="(on|off)" checked>', html)  # fmt: skip
    assert found is not None, f"no checked radio for {name}"
    return found.group(1)


def status_text(html: str) -> str:
    found = re.search(r'<div id="status" role="status" aria-live="polite"[^>]*>(.*?)</div>', html)
    assert found is not None
    return found.group(1)


def submit(stack: Stack, token: str, form: dict[str, str], **headers: str) -> httpx.Response:
    return stack.http.post(
        stack.url + PAGE, data=form, headers={"cookie": f"gw_sid={token}", **headers}
    )


@pytest.mark.parametrize(
    ("query", "accept_language", "lang", "heading"),
    [
        ("", None, "ja", "プライバシーの設定"),
        ("", "en-US,en;q=0.9,ja;q=0.5", "en", "Your privacy choices"),
        ("", "fr-FR,ja;q=0.8,en;q=0.9", "en", "Your privacy choices"),
        ("", "ja-JP,ja;q=0.9,en;q=0.8", "ja", "プライバシーの設定"),
        ("?lang=en", "ja", "en", "Your privacy choices"),
        ("?lang=ja", "en", "ja", "プライバシーの設定"),
        ("?lang=de", "en", "en", "Your privacy choices"),
    ],
)
def test_language_follows_the_switch_then_accept_language(
    stack: Stack, query: str, accept_language: str | None, lang: str, heading: str
) -> None:
    headers = {"accept-language": accept_language} if accept_language else {}
    answer = page(stack, stack.token_for(new_id("anon")), query, **headers)
    assert answer.status_code == 200
    assert f'<html lang="{lang}">' in answer.text
    assert f"<h1>{heading}</h1>" in answer.text
    other = "ja" if lang == "en" else "en"
    assert f'href="{PAGE}?lang={other}" hreflang="{other}"' in answer.text


def test_page_headers_forbid_framing_caching_and_foreign_scripts(stack: Stack) -> None:
    answer = page(stack, stack.token_for(new_id("anon")))
    csp = answer.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None
    assert f'<script nonce="{nonce.group(1)}">' in answer.text
    assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert answer.headers["cache-control"] == "no-store"
    assert page(stack, stack.token_for(new_id("anon"))).headers["content-security-policy"] != csp


def test_a_first_time_visitor_gets_a_device_and_can_refuse_before_any_event(
    stack: Stack,
) -> None:
    """No token (or a forged or expired one): the page creates the device, shares its
    anonymousId with the SDK (cookie cg_anon_id), and a refusal made there holds for the
    events the SDK then sends under that anonymousId."""
    for token in (subject_tokens().issue("x", None, now=0), "garbage"):
        answer = page(stack, token, "?lang=en")
        assert answer.status_code == 200 and "<form" in answer.text
    answer = page(stack, None, "?lang=en")
    assert answer.status_code == 200
    assert "has not sent us any information yet" not in answer.text
    cookies = answer.headers.get_list("set-cookie")
    assert [c.split("=")[0] for c in cookies] == ["gw_sid", "cg_anon_id"]
    assert "HttpOnly" in cookies[0] and "HttpOnly" not in cookies[1]
    token = cookies[0].split(";")[0].split("=", 1)[1]
    anonymous_id = cookies[1].split(";")[0].split("=", 1)[1]
    assert re.fullmatch(r"[0-9a-f-]{36}", anonymous_id)
    assert subject_tokens().verify(token).anon_key == anon_key(anonymous_id)  # type: ignore[union-attr]

    form = {"csrf_token": csrf_of(answer.text), "lang": "en", "purpose.advertising": "off"}
    saved = submit(stack, token, form)
    assert status_text(saved.text) == "Your choices have been saved."
    message_id, sent = stack.send(anonymous_id, key=WEB_KEY, headers={"gateway-subject": token})
    assert sent.status_code == 200
    stack.settle()
    assert stack.reached(message_id) == {"stats", "stats2"}


def test_the_page_shows_the_current_state(stack: Stack) -> None:
    token = stack.token_for(new_id("anon"))
    html = page(stack, token).text
    assert checked(html, "purpose.advertising") == "on"
    body = {"purposes": {"advertising": False}, "vendors": {"stats2": False}}
    assert stack.consent(token, body).status_code == 200
    html = page(stack, token, "?lang=en").text
    assert checked(html, "purpose.advertising") == "off"
    assert checked(html, "purpose.analytics") == "on"
    assert checked(html, "vendor.stats2") == "off"
    assert checked(html, "advertising_id") == "on"
    assert 'Currently decided by: <span data-decided="advertising">preferences</span>' in html
    assert 'Currently decided by: <span data-decided="analytics">default</span>' in html
    gpc = page(stack, token, "?lang=en", **{"sec-gpc": "1"}).text
    assert "Global Privacy Control" in gpc


def test_no_javascript_form_post_saves_and_confirms(stack: Stack) -> None:
    token = stack.token_for(new_id("anon"))
    form = {
        "csrf_token": csrf_of(page(stack, token).text),
        "lang": "en",
        "purpose.analytics": "on",
        "purpose.advertising": "off",
        "advertising_id": "off",
        "vendor.stats": "on",
        "vendor.stats2": "on",
        "vendor.ads": "on",
    }
    answer = submit(stack, token, form, origin=stack.url)
    assert answer.status_code == 200
    assert '<html lang="en">' in answer.text
    assert status_text(answer.text) == "Your choices have been saved."
    assert checked(answer.text, "purpose.advertising") == "off"
    state = stack.consent(token).json()
    assert state["purposes"] == {"analytics": True, "advertising": False}
    assert state["advertising_id"] is False
    # The answer carries a fresh form token: the next save works without a reload.
    again = {**form, "csrf_token": csrf_of(answer.text), "purpose.advertising": "on"}
    assert submit(stack, token, again).status_code == 200
    assert stack.consent(token).json()["purposes"]["advertising"] is True


@pytest.mark.parametrize(("button", "granted"), [("refuse", False), ("allow", True)])
def test_refusing_everything_takes_one_button_like_allowing_does(
    stack: Stack, button: str, granted: bool
) -> None:
    token = stack.token_for(new_id("anon"))
    if granted:
        assert stack.consent(token, {"purposes": {"analytics": False}}).status_code == 200
    form = {"csrf_token": csrf_of(page(stack, token).text), "lang": "ja", "all": button,
            "purpose.analytics": "on", "purpose.advertising": "on"}  # fmt: skip
    answer = submit(stack, token, form)
    assert answer.status_code == 200
    assert status_text(answer.text) == "設定を保存しました。"
    state = stack.consent(token).json()
    assert state["purposes"] == {"analytics": granted, "advertising": granted}
    assert state["advertising_id"] is granted
    assert set(state["vendors"].values()) == {granted}


def test_the_default_button_saves_the_choices_made(stack: Stack) -> None:
    """Enter in a form field submits with the form's first submit button: it must be "Save",
    not "Allow all" (which would turn a refusal just made into a grant)."""
    html = page(stack, stack.token_for(new_id("anon")), "?lang=en").text
    buttons = re.findall(r"<button type=\"submit\"([^>]*)>([^<]+)</button>", html)
    assert buttons[0] == (' class="primary"', "Save my choices")
    labels = [label for _, label in buttons]
    allow, refuse = labels.index("Allow all"), labels.index("Refuse all optional")
    assert abs(allow - refuse) == 1  # side by side, same element, same style
    assert buttons[allow][0].replace("allow", "X") == buttons[refuse][0].replace("refuse", "X")


def test_a_form_stays_valid_when_the_cookie_is_reissued_by_another_event(stack: Stack) -> None:
    """The site keeps sending events in other tabs; each answer re-issues gw_sid. A form
    opened before that must still save for the same subject."""
    anonymous_id = new_id("anon")
    stack.token_for(anonymous_id)
    opened_with = subject_tokens().issue(anon_key(anonymous_id), None, now=time.time() - 30)
    csrf = csrf_of(page(stack, opened_with).text)
    # Another tab's event; the browser sends its cookie along, as browsers do.
    _, response = stack.send(anonymous_id, key=WEB_KEY, headers={"cookie": f"gw_sid={opened_with}"})
    reissued = response.headers["gateway-subject"]
    assert reissued != opened_with
    form = {"csrf_token": csrf, "lang": "en", "purpose.advertising": "off"}
    answer = submit(stack, reissued, form)
    assert answer.status_code == 200, status_text(answer.text)
    assert stack.consent(reissued).json()["purposes"]["advertising"] is False
