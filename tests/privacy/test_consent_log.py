"""The consent log: every change appended with before/after, where it came from and the policy
version shown, read back through a disclosure request."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from tests.privacy.stack import POLICY_VERSION, Stack, new_id


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_every_change_is_logged_with_before_after_source_and_policy_version(
    stack: Stack,
) -> None:
    anon = new_id("anon")
    token = stack.token_for(anon)
    cookie = {"cookie": f"gw_sid={token}"}

    def page_csrf() -> str:
        return csrf_of(stack.http.get(stack.url + "/privacy/preferences", headers=cookie).text)

    def put(body: dict[str, Any], **headers: str) -> None:
        assert stack.consent(token, body, headers=headers).status_code == 200

    put({"purposes": {"advertising": False}})
    put({"advertising_id": False}, **{"x-consent-source": "sdk"})
    form = {"csrf_token": page_csrf(), "purpose.analytics": "off"}
    posted = stack.http.post(stack.url + "/privacy/preferences", data=form, headers=cookie)
    assert posted.status_code == 200
    put({"vendors": {"ads": False}}, origin=stack.url, **{"x-csrf-token": page_csrf()})
    correction = {"purposes": {"advertising": True}}
    assert stack.admin("correction", anon, preferences=correction).status_code == 200
    assert stack.admin("suspend-use", anon).status_code == 200
    put({"purposes": {"analytics": True}}, **{"x-consent-source": "<b>anything</b>"})

    log = stack.admin("disclosure", anon).json()["consent_log"]
    assert [entry["source"] for entry in log] == [
        "api", "sdk", "page", "page", "dsar", "dsar", "api",
    ]  # fmt: skip
    assert {entry["policy_version"] for entry in log} == {POLICY_VERSION}
    assert [entry["at"] for entry in log] == sorted(entry["at"] for entry in log)
    assert log[0]["before"] == {"purposes": {}, "vendors": {}}
    for previous, entry in itertools.pairwise(log):
        assert entry["before"] == previous["after"]
    assert log[-1]["after"] == {
        "purposes": {"advertising": True, "analytics": True},
        "vendors": {"ads": False},
        "advertising_id": False,
        "suspend_use": True,
    }
    changed = [
        ("purposes", "advertising", False), ("advertising_id", None, False),
        ("purposes", "analytics", False), ("vendors", "ads", False),
        ("purposes", "advertising", True), ("suspend_use", None, True),
        ("purposes", "analytics", True),
    ]  # fmt: skip
    for entry, (section, name, value) in zip(log, changed, strict=True):
        after = entry["after"][section]
        assert (after if name is None else after[name]) is value


def test_the_log_holds_choices_only(stack: Stack) -> None:
    anon = new_id("anon")
    token = stack.token_for(anon)
    assert stack.consent(token, {"purposes": {"advertising": False}}).status_code == 200
    (entry,) = stack.admin("disclosure", anon).json()["consent_log"]
    assert set(entry) == {
        "at", "subject_key", "before", "after", "source", "policy_version", "basis",
        "notice_version",
    }  # fmt: skip
    assert anon not in entry["subject_key"]
    assert set(entry["after"]) <= {
        "purposes", "vendors", "advertising_id", "suspend_use", "suspend_provision",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("claimed", "logged"),
    [
        ("ios-settings", "ios-settings"),
        ("sdk", "sdk"),
        ("a-label-longer-than-twenty-characters", "a-label-longer-than-"),
        ("dsar", "api"),  # only the privacy office's requests are "dsar"
        ("Page", "api"),  # only the gateway's own page is "page"
        ("<b>markup</b>", "api"),
        ("with space", "api"),
        ("", "api"),
    ],
)
def test_a_client_may_label_its_changes_but_not_as_the_gateway(
    stack: Stack, claimed: str, logged: str
) -> None:
    anon = new_id("anon")
    token = stack.token_for(anon)
    body = {"purposes": {"advertising": False}}
    assert stack.consent(token, body, headers={"x-consent-source": claimed}).status_code == 200
    (entry,) = stack.admin("disclosure", anon).json()["consent_log"]
    assert entry["source"] == logged
