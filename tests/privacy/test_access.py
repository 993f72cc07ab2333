"""Who may read and change preferences, and who may ask the data-subject endpoints: subject
tokens (forged, tampered, expired, foreign, someone else's), CSRF on the gateway's own page,
cross-site origins, admin bearer tokens and their scopes."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import orjson
import pytest

from gateway.privacy.subject import LIFETIME_SECONDS, SubjectTokens
from tests.privacy.stack import (
    AUDITOR,
    EXPLAINER,
    OFFICE,
    Stack,
    anon_key,
    new_id,
    subject_tokens,
)
from tests.support.configs import WEB_ORIGIN

REFUSE_ADS = {"purposes": {"advertising": False}}


def claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    decoded: dict[str, Any] = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def with_claims(token: str, **changes: Any) -> str:
    """The same signature over different claims."""
    version, _, signature = token.split(".")
    body = base64.urlsafe_b64encode(orjson.dumps({**claims(token), **changes})).rstrip(b"=")
    return f"{version}.{body.decode()}.{signature}"


def flip_last(text: str) -> str:
    return text[:-1] + ("A" if text[-1] != "A" else "B")


def refused(stack: Stack, token: str | None) -> None:
    for response in (stack.consent(token), stack.consent(token, REFUSE_ADS)):
        assert response.status_code == 401, response.text
        assert "purposes" not in response.json()


def test_the_token_issued_with_an_event_reads_and_writes_that_subject(stack: Stack) -> None:
    anonymous_id = new_id("anon")
    token = stack.token_for(anonymous_id)
    # The token carries the subject key (a keyed hash), never the raw identifier.
    assert claims(token)["a"].startswith("a_") and anonymous_id not in token
    assert stack.consent(token).json()["purposes"]["advertising"] is True
    assert stack.consent(token, REFUSE_ADS).json()["purposes"]["advertising"] is False
    assert stack.consent(token).json()["purposes"]["advertising"] is False


def test_missing_token_is_refused(stack: Stack) -> None:
    refused(stack, None)
    response = stack.http.get(stack.url + "/v1/consent", params={"anonymousId": "anyone"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(flip_last, id="tampered-signature"),
        pytest.param(lambda t: t.rsplit(".", 1)[0] + ".", id="no-signature"),
        pytest.param(lambda t: "v2" + t[2:], id="other-version"),
        pytest.param(lambda t: t[:-1] + "é", id="non-ascii-signature"),
        pytest.param(lambda t: t + "." + "x" * 3000, id="oversized"),
    ],
)
def test_forged_tokens_are_refused(stack: Stack, forge: Any) -> None:
    token = stack.token_for(new_id("anon"))
    assert stack.consent(token).status_code == 200
    forged = forge(token)
    if forged.isascii():
        refused(stack, forged)
    else:  # a header value is bytes: send the raw Latin-1 octets
        response = stack.http.get(
            stack.url + "/v1/consent", headers={"gateway-subject": forged.encode("latin-1")}
        )
        assert response.status_code == 401, response.text


def test_a_token_whose_claims_were_changed_to_another_subject_is_refused(stack: Stack) -> None:
    victim = new_id("victim")
    victim_token = stack.token_for(victim)
    assert stack.consent(victim_token, REFUSE_ADS).status_code == 200
    mine = stack.token_for(new_id("attacker"))
    for forged in (with_claims(mine, a=victim), with_claims(mine, u=victim, a=None)):
        refused(stack, forged)
    assert stack.consent(victim_token).json()["purposes"]["advertising"] is False


def test_expired_token_is_refused_and_a_fresh_one_with_the_same_key_is_not(stack: Stack) -> None:
    anonymous_id = new_id("anon")
    stack.token_for(anonymous_id)
    tokens = subject_tokens()
    fresh = tokens.issue(anon_key(anonymous_id), None, now=time.time() - 60)
    assert stack.consent(fresh).status_code == 200  # the key is right: only age decides
    expired = tokens.issue(anon_key(anonymous_id), None, now=time.time() - LIFETIME_SECONDS - 60)
    refused(stack, expired)


def test_token_signed_with_another_key_is_refused(stack: Stack) -> None:
    anonymous_id = new_id("anon")
    stack.token_for(anonymous_id)
    refused(stack, SubjectTokens(b"some other gateway's key").issue(anon_key(anonymous_id), None))


def test_a_token_only_ever_exposes_its_own_subject(stack: Stack) -> None:
    alice, bob = new_id("alice"), new_id("bob")
    alice_token, bob_token = stack.token_for(alice), stack.token_for(bob)
    assert stack.consent(bob_token, {"purposes": {"analytics": False}}).status_code == 200

    # Alice's token shows Alice's defaults, whatever else the request names.
    for params in ({}, {"anonymousId": bob}, {"subject": bob}):
        shown = stack.http.get(
            stack.url + "/v1/consent", params=params, headers={"gateway-subject": alice_token}
        ).json()
        assert shown["purposes"] == {"analytics": True, "advertising": True}
    # The body cannot name another subject either.
    sneaky = {**REFUSE_ADS, "subject": bob}
    assert stack.consent(alice_token, sneaky).status_code == 400

    assert stack.consent(alice_token, REFUSE_ADS).status_code == 200
    bob_state = stack.consent(bob_token).json()
    assert bob_state["purposes"] == {"analytics": False, "advertising": True}
    # And enforcement for Bob follows Bob's choices only.
    message_id, _ = stack.send(bob)
    stack.settle()
    assert stack.reached(message_id) == {"ads"}


def test_cross_site_origin_may_not_write(stack: Stack) -> None:
    token = stack.token_for(new_id("anon"))
    evil = stack.consent(token, REFUSE_ADS, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403
    assert "access-control-allow-origin" not in evil.headers
    assert stack.consent(token).json()["purposes"]["advertising"] is True

    site = stack.consent(token, REFUSE_ADS, headers={"origin": WEB_ORIGIN})
    assert site.status_code == 200
    assert site.headers["access-control-allow-origin"] == WEB_ORIGIN

    preflight = stack.http.options(
        stack.url + "/v1/consent",
        headers={"origin": "https://evil.example", "access-control-request-method": "PUT"},
    )
    assert preflight.status_code == 403


def page_csrf(stack: Stack, token: str) -> str:
    page = stack.http.get(stack.url + "/privacy/preferences", headers={"cookie": f"gw_sid={token}"})
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def test_the_gateways_own_page_needs_a_single_use_csrf_token(stack: Stack) -> None:
    token = stack.token_for(new_id("anon"))
    own = {"origin": stack.url}
    assert stack.consent(token, REFUSE_ADS, headers=own).status_code == 403

    csrf = page_csrf(stack, token)
    first = stack.consent(token, REFUSE_ADS, headers={**own, "x-csrf-token": csrf})
    assert first.status_code == 200
    assert first.headers["x-csrf-token"] not in ("", csrf)  # a fresh one for the next save
    replayed = stack.consent(
        token, {"purposes": {"advertising": True}}, headers={**own, "x-csrf-token": csrf}
    )
    assert replayed.status_code == 403
    assert stack.consent(token).json()["purposes"]["advertising"] is False

    # A token from someone else's page does not fit this subject.
    other = page_csrf(stack, stack.token_for(new_id("other")))
    stolen = stack.consent(token, REFUSE_ADS, headers={**own, "x-csrf-token": other})
    assert stolen.status_code == 403


def test_the_page_saves_behind_a_tls_terminating_proxy(stack: Stack) -> None:
    """The proxy speaks http to the gateway and keeps the Host; the browser says https."""
    token = stack.token_for(new_id("anon"))
    https_self = stack.url.replace("http://", "https://")
    put = stack.consent(
        token, REFUSE_ADS, headers={"origin": https_self, "x-csrf-token": page_csrf(stack, token)}
    )
    assert put.status_code == 200, put.text
    assert put.headers["x-csrf-token"]  # treated as the page itself: CSRF checked, renewed
    form = {"purpose.analytics": "off", "csrf_token": page_csrf(stack, token), "lang": "en"}
    posted = form_post(stack, token, form, origin=https_self)
    assert posted.status_code == 200, posted.text
    assert stack.consent(token).json()["purposes"] == {"analytics": False, "advertising": False}

    host, _, port = stack.url.removeprefix("http://").partition(":")
    for other in (f"https://{host}:{int(port) + 1}", f"https://localhost:{port}", "null"):
        csrf = page_csrf(stack, token)
        refused = stack.consent(token, REFUSE_ADS, headers={"origin": other, "x-csrf-token": csrf})
        assert refused.status_code == 403, other
        form = {"purpose.analytics": "on", "csrf_token": page_csrf(stack, token)}
        assert form_post(stack, token, form, origin=other).status_code == 403, other


def form_post(stack: Stack, token: str, form: dict[str, str], **headers: str) -> httpx.Response:
    return stack.http.post(
        stack.url + "/privacy/preferences",
        data=form,
        headers={"cookie": f"gw_sid={token}", "accept-language": "en", **headers},
    )


def test_form_post_without_or_with_a_replayed_csrf_token_is_refused(stack: Stack) -> None:
    token = stack.token_for(new_id("anon"))
    choice = {"purpose.advertising": "off", "lang": "en"}
    missing = form_post(stack, token, choice)
    assert missing.status_code == 403
    assert "This page has expired" in missing.text
    forged = form_post(stack, token, {**choice, "csrf_token": "1.2.3"})
    assert forged.status_code == 403

    csrf = page_csrf(stack, token)
    assert form_post(stack, token, {**choice, "csrf_token": csrf}).status_code == 200
    replay = form_post(
        stack, token, {"purpose.advertising": "on", "lang": "en", "csrf_token": csrf}
    )
    assert replay.status_code == 403
    assert "This form was already used" in replay.text
    assert stack.consent(token).json()["purposes"]["advertising"] is False

    cross_site = form_post(
        stack,
        token,
        {**choice, "csrf_token": page_csrf(stack, token)},
        origin="https://evil.example",
    )
    assert cross_site.status_code == 403


DSAR_ACTIONS = (
    "disclosure", "correction", "deletion", "suspend-use", "resume-use",
    "suspend-provision", "resume-provision",
)  # fmt: skip
ADMIN_ENDPOINTS = [
    *[
        (f"/admin/dsar/{action}", "dsar:read" if action == "disclosure" else "dsar:write")
        for action in DSAR_ACTIONS
    ],
    ("/admin/explain", "explain"),
    ("/admin/reload", "reload"),
]


@pytest.mark.parametrize(("path", "scope"), ADMIN_ENDPOINTS, ids=[p for p, _ in ADMIN_ENDPOINTS])
def test_admin_endpoints_need_a_known_token_with_the_scope(
    stack: Stack, path: str, scope: str
) -> None:
    body = {"subject": new_id("nobody")}
    logged = len(stack.admin_log(1000))

    def post(authorization: str | None) -> httpx.Response:
        headers = {"authorization": authorization} if authorization else {}
        return stack.http.post(stack.url + path, json=body, headers=headers)

    assert post(None).status_code == 401
    assert post(f"Basic {base64.b64encode(OFFICE.encode()).decode()}").status_code == 401
    assert post("Bearer not-a-configured-token").status_code == 401
    assert post(f"Bearer {OFFICE}x").status_code == 401
    raw = stack.http.post(
        stack.url + path, json=body, headers={b"authorization": "Bearer é".encode()}
    )
    assert raw.status_code == 401
    lacking = AUDITOR if scope != "dsar:read" else EXPLAINER
    denied = post(f"Bearer {lacking}")
    assert denied.status_code == 403
    assert scope in denied.json()["error"]
    assert len(stack.admin_log(1000)) == logged  # nothing ran

    if path.startswith("/admin/dsar/"):  # the right token gets through
        assert post(f"Bearer {OFFICE}").status_code == 200


def test_claiming_someones_user_id_does_not_give_their_choices(stack: Stack) -> None:
    victim = new_id("user")
    phone = stack.token_for(new_id("victim-phone"), victim)
    assert stack.consent(phone, REFUSE_ADS).status_code == 200
    attacker = stack.token_for(new_id("attacker"), victim)  # the web key is public
    assert stack.consent(attacker).json()["purposes"]["advertising"] is True  # not the victim's
    stack.consent(attacker, {"purposes": {"advertising": True}})
    laptop, _ = stack.send(new_id("victim-laptop"), user_id=victim)
    stack.settle()
    assert stack.reached(laptop) == {"stats", "stats2"}  # the victim's refusal still holds


def test_an_anonymous_id_seen_elsewhere_no_longer_buys_a_token_once_choices_are_set(
    stack: Stack,
) -> None:
    """anonymousIds travel to vendors: once a device has stored choices, only a request
    that already holds the device's token gets a fresh one."""
    anonymous_id = new_id("anon")
    token = stack.token_for(anonymous_id)
    assert stack.consent(token, REFUSE_ADS).status_code == 200
    _, stranger = stack.send(anonymous_id)
    assert "gateway-subject" not in stranger.headers
    _, device = stack.send(anonymous_id, headers={"gateway-subject": token})
    assert device.headers["gateway-subject"].startswith("v1.")


def test_server_sources_get_no_subject_token(stack: Stack) -> None:
    from tests.support.configs import SERVER_KEY

    _, response = stack.send(new_id("anon"), key=SERVER_KEY)
    assert response.status_code == 200
    assert "gateway-subject" not in response.headers
