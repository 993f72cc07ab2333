"""The console's pages over plain HTTP against a real gateway process: the session cookie,
CSRF, scopes, and the pages the browser walks do not cover (preview, dead letters, test
event)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.console.stack import EDITOR, OTHER, READER, ConsoleStack, wait_until
from tests.support.configs import SERVER_KEY
from tests.support.processes import GatewayProcess
from tests.support.receiver import Answer

SignIn = Callable[..., httpx.Client]


@pytest.fixture
def signed_in() -> Iterator[SignIn]:
    """Sign in with a token; every client is closed after the test."""
    opened: list[httpx.Client] = []

    def sign_in(console: ConsoleStack, token: str = EDITOR) -> httpx.Client:
        client = httpx.Client(base_url=console.url, timeout=20)
        opened.append(client)
        answer = client.post("/console/signin?lang=en", data={"token": token})
        assert answer.status_code == 303, answer.text
        return client

    yield sign_in
    for client in opened:
        client.close()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_session_cookie_and_the_pages_security_headers(
    console: ConsoleStack, signed_in: SignIn
) -> None:
    answer = httpx.post(console.url + "/console/signin", data={"token": EDITOR})
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie
    behind_tls = httpx.post(
        console.url + "/console/signin",
        data={"token": EDITOR},
        headers={"x-forwarded-proto": "https"},
    )
    assert "; Secure" in behind_tls.headers["set-cookie"]

    client = signed_in(console)
    page = client.get("/console?lang=en")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    assert f'<style nonce="{nonce.group(1)}">' in page.text
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"


def test_wrong_tokens_and_tokens_without_a_console_scope_cannot_sign_in(
    console: ConsoleStack, signed_in: SignIn
) -> None:
    for token in ("not-a-token", OTHER):
        answer = httpx.post(console.url + "/console/signin?lang=en", data={"token": token})
        assert answer.status_code == 401
        assert "set-cookie" not in answer.headers
        assert 'role="alert"' in answer.text
    forged = httpx.get(console.url + "/console/preview", cookies={"cg_console": "e30.abc"})
    assert forged.status_code == 303


def test_a_change_without_the_csrf_token_is_refused(
    console: ConsoleStack, signed_in: SignIn
) -> None:
    client = signed_in(console)
    original = console.file()
    editor = client.get("/console/destinations/crm?lang=en").text
    version = re.search(r'name="version" value="([0-9a-f]+)"', editor)
    assert version is not None
    form = {"version": version.group(1), "config": "name: crm\n", "csrf": "0" * 32}
    answer = client.post("/console/destinations/crm?lang=en", data=form)
    assert answer.status_code == 403
    assert console.file() == original
    other = signed_in(console)  # another session's token does not fit either
    form["csrf"] = csrf_of(other.get("/console?lang=en").text)
    assert client.post("/console/destinations/crm", data=form).status_code == 403


def test_scopes_decide_what_is_shown(console: ConsoleStack, signed_in: SignIn) -> None:
    reader = signed_in(console, READER)
    overview = reader.get("/console?lang=en").text
    assert "Send test event" not in overview and "Add a destination" not in overview
    assert reader.get("/console/debugger").status_code == 403
    assert reader.get("/console/deadletters").status_code == 403
    csrf = csrf_of(overview)
    assert reader.post("/console/destinations/crm/test", data={"csrf": csrf}).status_code == 403


def test_sign_out_ends_the_session(console: ConsoleStack, signed_in: SignIn) -> None:
    client = signed_in(console)
    csrf = csrf_of(client.get("/console").text)
    cookie = client.cookies["cg_console"]
    assert client.post("/console/signout", data={"csrf": csrf}).status_code == 303
    again = httpx.get(console.url + "/console/preview", cookies={"cg_console": cookie})
    assert again.status_code == 303


def test_sign_out_ends_the_session_in_every_worker_process(
    console: ConsoleStack, signed_in: SignIn
) -> None:
    """A second gateway process on the same config and store (as `serve --workers 2` runs):
    a session signed out through one is refused by the other."""
    other = GatewayProcess(console.directory).start()
    try:
        client = signed_in(console)
        cookies = {"cg_console": client.cookies["cg_console"]}
        before = httpx.get(other.url + "/console/preview", cookies=cookies)
        assert before.status_code == 200  # the session is the other process's too
        csrf = csrf_of(client.get("/console").text)
        assert client.post("/console/signout", data={"csrf": csrf}).status_code == 303
        after = httpx.get(other.url + "/console/preview", cookies=cookies)
        assert after.status_code == 303
    finally:
        other.stop()


def test_the_preview_page_shows_removals_purposes_and_payloads(
    console: ConsoleStack, signed_in: SignIn
) -> None:
    client = signed_in(console)
    csrf = csrf_of(client.get("/console/preview?lang=en").text)
    event = (
        '{"type": "track", "event": "Moved", "anonymousId": "v1", '
        '"properties": {"plan": "pro", "gps": "35.681236,139.767125"}}'
    )
    answer = client.post(
        "/console/preview?lang=en", data={"csrf": csrf, "source": "server", "event": event}
    )
    assert answer.status_code == 200
    page = answer.text
    trace = page[page.index('id="trace-title"') :]
    assert "properties.gps" in trace and "location" in trace
    assert "analytics" in trace and "granted" in trace
    assert "&quot;plan&quot;: &quot;pro&quot;" in trace
    assert "139.767" not in trace


def test_the_dead_letter_page_replays_and_the_test_event_page_shows_the_answer(
    console: ConsoleStack, signed_in: SignIn
) -> None:
    client = signed_in(console)
    receiver = console.receivers["crm"]
    message_id = "page-" + uuid.uuid4().hex[:10]
    receiver.script(Answer(status=400))
    console.send(
        {"type": "track", "event": "Bounced", "messageId": message_id, "anonymousId": "z"},
        SERVER_KEY,
    )
    wait_until(lambda: message_id in client.get("/console/deadletters?lang=en").text)
    page = client.get("/console/deadletters?lang=en").text
    row = page[page.index(message_id) - 1500 : page.index(message_id) + 1500]
    ids = re.findall(r'name="id" value="([^"]+)"', page)
    assert ids
    answer = client.post(
        "/console/deadletters/replay?lang=en", data={"csrf": csrf_of(page), "id": ids[-1]}
    )
    assert answer.status_code == 303
    assert "Done: 1" in client.get(answer.headers["location"]).text
    wait_until(lambda: any(e["messageId"] == message_id for e in receiver.events()))
    del row

    receiver.default = Answer(status=202, body=b'{"ok": true}')
    try:
        result = client.post("/console/destinations/crm/test?lang=en", data={"csrf": csrf_of(page)})
    finally:
        receiver.default = Answer()
    assert result.status_code == 200
    assert "Sent" in result.text and "HTTP 202" in result.text
    assert "{&quot;ok&quot;: true}" in result.text


def test_another_site_cannot_sign_a_visitor_in(console: ConsoleStack) -> None:
    answer = httpx.post(
        console.url + "/console/signin",
        data={"token": EDITOR},
        headers={"origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers
    same = httpx.post(
        console.url + "/console/signin", data={"token": EDITOR}, headers={"origin": console.url}
    )
    assert same.status_code == 303


def test_a_destination_added_through_the_form_has_the_keys_its_controls_gave(
    console: ConsoleStack, signed_in: SignIn
) -> None:
    client = signed_in(console)
    page = client.get("/console/new?lang=en").text
    version = re.search(r'name="version" value="([0-9a-f]+)"', page)
    assert version is not None
    form = {
        "csrf": csrf_of(page),
        "version": version.group(1),
        "mode": "form",
        "name": "formhook",
        "type": "webhook",
        "url": console.receivers["analytics"].url,
        "country": "JP",
        "purpose.analytics": "on",
        "events_types": "track, page",
        "fields": "type\nevent\n",
        "add_field": "messageId",
        "transforms": "",
        "role": "processor",
        "recipient_name": "Form Hook K.K.",
        "enabled": "on",
        "other": "allow_private_network: true\n",
    }
    answer = client.post("/console/new?lang=en", data=form)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/console/destinations/formhook")
    added = console.item("formhook")
    assert added == {
        "name": "formhook",
        "type": "webhook",
        "url": console.receivers["analytics"].url,
        "country": "JP",
        "purposes": ["analytics"],
        "events": {"types": ["track", "page"]},
        "fields": ["type", "event", "messageId"],
        "role": "processor",
        "recipient": {"name": "Form Hook K.K."},
        "allow_private_network": True,
    }
    # A key with no control of its own is refused beside the "other keys" box.
    page = client.get("/console/destinations/formhook?lang=en").text
    other = "allow_private_network: true\ncolour: blue\n"
    form.update(csrf=csrf_of(page), version=console.version(), other=other)
    refused = client.post("/console/destinations/formhook?lang=en", data=form)
    assert refused.status_code == 422
    beside = refused.text[refused.text.index('id="other-error"') :]
    assert beside.startswith('id="other-error"><li>unknown key &quot;colour&quot;')
    assert 'aria-describedby="other-hint other-error" aria-invalid="true"' in refused.text
