"""A real gateway process with three webhook destinations on real receivers, and the ways
the privacy tests talk to it: as an app or a browser sending events, as the person holding
a subject token, and as the privacy office holding an admin token."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from gateway.destinations.registry import read_config
from gateway.policy.identifiers import SubjectKeys
from gateway.privacy.subject import SubjectTokens
from gateway.store.factory import open_store
from tests.support.configs import APP_KEY, webhook, write_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Answer, Receiver

KEY_ENV = "GW_PRIVACY_TEST_KEY"
KEY_VALUE = "privacy-tests-gateway-key-0123456789"
POLICY_VERSION = "2026-07-01-privacy-tests"
FIELDS = ["type", "event", "messageId", "anonymousId", "userId", "properties.**"]

OFFICE = "office-token-0001"  # dsar:read, dsar:write, explain
AUDITOR = "auditor-token-0001"  # dsar:read only
EXPLAINER = "explainer-token-0001"  # explain only
ADMIN_TOKENS = {
    "office": (OFFICE, ["dsar:read", "dsar:write", "explain"]),
    "auditor": (AUDITOR, ["dsar:read"]),
    "explainer": (EXPLAINER, ["explain"]),
}
# Fast retries and a breaker that does not open, so an outage a test stages ends quickly; a
# generous timeout, so a loaded machine does not turn a slow answer into a retry.
DELIVERY = {
    "timeout_seconds": 10.0,
    "backoff_base_seconds": 0.1,
    "backoff_max_seconds": 0.3,
    "breaker_failures": 100,
    "breaker_cooldown_seconds": 0.2,
}


def subject_tokens() -> SubjectTokens:
    """Tokens signed with the gateway's own key (gateway_key: SHA-256 of the env value)."""
    return SubjectTokens(hashlib.sha256(KEY_VALUE.encode()).digest())


def anon_key(anonymous_id: str) -> str:
    """The subject key the gateway derives for an anonymousId (runtime.build_runtime)."""
    gateway_key = hashlib.sha256(KEY_VALUE.encode()).digest()
    keys = SubjectKeys(hmac.new(gateway_key, b"subject-key-v1", hashlib.sha256).digest())
    return keys.key("anon", anonymous_id)


def destinations(receivers: dict[str, Receiver]) -> list[dict[str, Any]]:
    """stats and stats2 (analytics, JP), ads (advertising, US)."""
    return [
        webhook("stats", receivers["stats"].url, fields=FIELDS, description="Usage statistics"),
        webhook("stats2", receivers["stats2"].url, fields=FIELDS),
        webhook(
            "ads",
            receivers["ads"].url,
            purposes=["advertising"],
            country="US",
            fields=[*FIELDS, "context.device.advertisingId"],
        ),
    ]


def write_privacy_config(directory: Path, receivers: dict[str, Receiver]) -> Path:
    admin = {
        "tokens": [
            {"name": name, "sha256": hashlib.sha256(token.encode()).hexdigest(), "scopes": scopes}
            for name, (token, scopes) in ADMIN_TOKENS.items()
        ]
    }
    return write_config(
        directory,
        destinations=destinations(receivers),
        gateway={"admin": admin, "secrets": {"key_env": KEY_ENV}, "delivery": DELIVERY},
        policy={"version": POLICY_VERSION},
    )


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def no_cookies() -> CookieJar:
    """Each request says which subject token it carries; nothing is remembered."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


@dataclass
class Stack:
    gateway: GatewayProcess
    receivers: dict[str, Receiver]
    config_dir: Path
    http: httpx.Client = field(default_factory=lambda: httpx.Client(cookies=no_cookies()))

    @property
    def url(self) -> str:
        return self.gateway.url

    # ------------------------------------------------------------------ events
    def send(
        self,
        anonymous_id: str | None,
        *,
        user_id: str | None = None,
        event: str = "Viewed",
        key: str = APP_KEY,  # an app: server sources get no subject token
        context: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[str, httpx.Response]:
        """One track event with a fresh messageId; returns (messageId, response)."""
        message_id = new_id("msg")
        body: dict[str, Any] = {"type": "track", "event": event, "messageId": message_id}
        if anonymous_id is not None:
            body["anonymousId"] = anonymous_id
        if user_id is not None:
            body["userId"] = user_id
        if context is not None:
            body["context"] = context
        response = self.http.post(
            self.url + "/v1/track", json=body, auth=(key, ""), headers=headers or {}
        )
        return message_id, response

    def token_for(self, anonymous_id: str, user_id: str | None = None) -> str:
        """The subject token the gateway issues with an accepted event."""
        _, response = self.send(anonymous_id, user_id=user_id)
        assert response.status_code == 200, response.text
        return response.headers["gateway-subject"]

    # --------------------------------------------------------------- consent
    def consent(
        self,
        token: str | None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """GET /v1/consent, or PUT when a body is given; the token goes in the header."""
        sent = dict(headers or {})
        if token is not None:
            sent["gateway-subject"] = token
        if body is None:
            return self.http.get(self.url + "/v1/consent", headers=sent)
        return self.http.put(self.url + "/v1/consent", json=body, headers=sent)

    # ----------------------------------------------------------------- admin
    def admin(
        self,
        action: str,
        subject: str,
        *,
        token: str | None = OFFICE,
        preferences: dict[str, Any] | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"subject": subject}
        if preferences is not None:
            body["preferences"] = preferences
        headers = {"authorization": f"Bearer {token}"} if token is not None else {}
        return self.http.post(self.url + f"/admin/dsar/{action}", json=body, headers=headers)

    def wait_recorded(self, identifier: str, count: int, timeout: float = 20.0) -> None:
        """Until the ledger holds `count` provision records for the subject (a receiver has
        a payload a moment before the gateway records that it was delivered)."""
        deadline = time.monotonic() + timeout
        while True:
            found = len(self.admin("disclosure", identifier).json()["provision_records"])
            if found >= count:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{found} provision records, expected {count}")
            time.sleep(0.05)

    def admin_log(self, limit: int = 50) -> list[dict[str, Any]]:
        """The admin log, read through the store interface from outside the process."""

        async def read() -> list[dict[str, Any]]:
            store = await open_store(read_config(self.config_dir))
            try:
                return await store.admin_log(limit)
            finally:
                await store.aclose()

        return asyncio.run(read())

    def metric(self, name: str, **labels: str) -> float:
        text = self.http.get(self.url + "/metrics").text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                wanted = all(sample.labels.get(k) == v for k, v in labels.items())
                if sample.name == name and wanted:
                    return float(sample.value)
        return 0.0

    # ------------------------------------------------------------ deliveries
    def got(self, destination: str, message_id: str) -> bool:
        return any(e.get("messageId") == message_id for e in self.receivers[destination].events())

    def wait_delivered(self, destination: str, message_id: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.got(destination, message_id):
            if time.monotonic() > deadline:
                raise AssertionError(f"{destination} never received {message_id}")
            time.sleep(0.02)

    def settle(self) -> None:
        """Send a control event every destination takes and wait until each has it: what
        was enqueued before it has been delivered (or was never enqueued)."""
        message_id, response = self.send(new_id("control"))
        assert response.status_code == 200, response.text
        for name in self.receivers:
            self.wait_delivered(name, message_id)
        time.sleep(0.2)  # the same claim may deliver an earlier payload a moment later

    def reached(self, message_id: str) -> set[str]:
        """Destinations that received the message (call after settle())."""
        return {name for name in self.receivers if self.got(name, message_id)}

    def outage(self, *names: str) -> None:
        """These receivers drop every connection unread: they see nothing."""
        for name in names:
            self.receivers[name].default = Answer(close=True)

    def recover(self) -> None:
        for receiver in self.receivers.values():
            receiver.default = Answer()

    def times_got(self, destination: str, message_id: str) -> int:
        """Requests carrying the message, answered or refused (the receiver records both)."""
        events = self.receivers[destination].events()
        return sum(1 for e in events if e.get("messageId") == message_id)

    def reject(self, *names: str) -> None:
        """These receivers answer 400: the gateway dead-letters at once (fatal)."""
        for name in names:
            self.receivers[name].default = Answer(status=400)

    def wait_dead(self, destination: str, above: float, timeout: float = 20.0) -> None:
        """Until more payloads for `destination` were dead-lettered than `above`."""
        deadline = time.monotonic() + timeout
        name = "gateway_dead_letters_total"
        while self.metric(name, destination=destination, reason="fatal") <= above:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing dead-lettered for {destination}")
            time.sleep(0.05)

    def dead_count(self, destination: str) -> float:
        return self.metric("gateway_dead_letters_total", destination=destination, reason="fatal")

    def wait_retries(self, destination: str, above: float, timeout: float = 20.0) -> None:
        """Until the gateway has tried (and failed) to deliver to `destination` again."""
        deadline = time.monotonic() + timeout
        name = "gateway_deliveries_total"
        while self.metric(name, destination=destination, outcome="retry") <= above:
            if time.monotonic() > deadline:
                raise AssertionError(f"no failed delivery attempt to {destination}")
            time.sleep(0.05)


def start_stack(directory: Path) -> Stack:
    receivers = {name: Receiver() for name in ("stats", "stats2", "ads")}
    config_dir = write_privacy_config(directory, receivers)
    process = GatewayProcess(config_dir, env={KEY_ENV: KEY_VALUE})
    try:
        process.start()
    except Exception:
        for receiver in receivers.values():
            receiver.close()
        raise
    return Stack(process, receivers, config_dir)


def stop_stack(stack: Stack) -> None:
    stack.http.close()
    stack.gateway.stop()
    for receiver in stack.receivers.values():
        receiver.close()
