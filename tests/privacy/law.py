"""A gateway configured for the privacy-law tests (issue 18): stats (processor, analytics),
ads (processor, advertising, hashed email), partner (a named third party), meta (Meta's
Conversions API, a processor) on real receivers, and a child-directed app source. With
`extra`, a second third party (partner2) joins: a change the notice must ask about."""

from __future__ import annotations

import hashlib
import signal
import time
from pathlib import Path
from typing import Any

import yaml

from tests.privacy.stack import ADMIN_TOKENS, DELIVERY, FIELDS, KEY_ENV, KEY_VALUE, Stack, new_id
from tests.support.configs import APP_KEY, default_sources, webhook, write_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

KIDS_KEY = "test-kids-key-0001"
META_ENV = "GW_PRIVACY_LAW_META_TOKEN"
IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
RECEIVERS = ("stats", "ads", "partner", "meta", "partner2")
EXPLICIT = {"consent": {"categoryPreferences": {"analytics": True, "advertising": True}}}
PARTNER = {
    "name": "Partner Ads K.K.",
    "contact": "privacy@partner.example",
    "privacy_policy_url": "https://partner.example/privacy",
    "opt_out_url": "https://partner.example/opt-out",
}


PURPOSES = {
    "service": {"default": "granted"},
    "analytics": {"default": "granted", "description": "Measuring how our services are used",
                  "description_ja": "サービスの利用状況の分析"},
    "advertising": {"default": "granted",
                    "description": "Advertising based on your browsing and usage history",
                    "description_ja": "閲覧・利用履歴に基づく広告の配信"},
}  # fmt: skip


def law_destinations(receivers: dict[str, Receiver], extra: bool = False) -> list[dict[str, Any]]:
    ad_fields = [*FIELDS, "timestamp", "context.device.advertisingId", "context.traits.email"]
    destinations = [
        webhook("stats", receivers["stats"].url, fields=[*FIELDS, "context.device.**"]),
        webhook("ads", receivers["ads"].url, purposes=["advertising"], country="US",
                fields=ad_fields, transforms={"context.traits.email": "sha256"}),
        webhook("partner", receivers["partner"].url, purposes=["advertising"], country="US",
                fields=FIELDS, role="third_party", recipient=PARTNER),
        {"name": "meta", "type": "meta_capi", "pixel_id": "1234567890",
         "url": receivers["meta"].url, "country": "US", "purposes": ["advertising"],
         "role": "processor", "fields": ad_fields, "secret_env": META_ENV,
         "allow_private_network": True},
    ]  # fmt: skip
    if extra:
        destinations.append(
            webhook("partner2", receivers["partner2"].url, purposes=["advertising"], country="US",
                    fields=FIELDS, role="third_party", recipient={"name": "Second Partner Inc."})
        )  # fmt: skip
    return destinations


def write_law_config(directory: Path, receivers: dict[str, Receiver]) -> Path:
    admin = {
        "tokens": [
            {"name": name, "sha256": hashlib.sha256(token.encode()).hexdigest(), "scopes": scopes}
            for name, (token, scopes) in ADMIN_TOKENS.items()
        ]
    }
    sources = [
        *default_sources(),
        {"id": "kids", "write_key": KIDS_KEY, "kind": "ios", "child_directed": True},
    ]
    policy = {"version": "2026-12-privacy-law", "purposes": PURPOSES,
              "privacy_policy_url": "https://company.example/privacy"}  # fmt: skip
    return write_config(
        directory,
        destinations=law_destinations(receivers),
        sources=sources,
        gateway={"admin": admin, "secrets": {"key_env": KEY_ENV}, "delivery": DELIVERY},
        policy=policy,
    )


class LawStack(Stack):
    extra = False

    def reconfigure(self, extra: bool) -> None:
        """Rewrite destinations.yaml and reload (SIGHUP); returns once the notice changed."""
        before = self.http.get(self.url + "/privacy/external-transmission",
                               headers={"accept": "application/json"}).json()  # fmt: skip
        path = self.config_dir / "destinations.yaml"
        listed = law_destinations(self.receivers, extra)
        path.write_text(yaml.safe_dump({"destinations": listed}, sort_keys=False))
        process = self.gateway.process
        assert process is not None
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while self.http.get(self.url + "/privacy/external-transmission",
                            headers={"accept": "application/json"}).json() == before:  # fmt: skip
            assert time.monotonic() < deadline, "the gateway did not reload"
            time.sleep(0.1)
        self.extra = extra

    def post(self, body: dict[str, Any], key: str = APP_KEY) -> str:
        message_id = new_id("msg")
        event = {"type": "track", "event": "Order Completed", "messageId": message_id,
                 "timestamp": "2026-12-07T06:00:00Z", **body}  # fmt: skip
        response = self.http.post(self.url + "/v1/track", json=event, auth=(key, ""))
        assert response.status_code == 200, response.text
        return message_id

    def got(self, destination: str, message_id: str) -> bool:
        if destination == "meta":
            data = [d for body in self.receivers["meta"].events() for d in body.get("data", [])]
            return any(d.get("event_id") == message_id for d in data)
        return super().got(destination, message_id)

    def settle(self) -> None:
        """A control event every destination takes (explicit grants), delivered everywhere:
        what was enqueued before it has gone out."""
        control = self.post({"anonymousId": new_id("control"), "context": EXPLICIT})
        for name in self.receivers:
            if name != "partner2" or self.extra:
                self.wait_delivered(name, control)
        time.sleep(0.3)

    def payload(self, destination: str, message_id: str) -> dict[str, Any]:
        return next(
            e for e in self.receivers[destination].events() if e.get("messageId") == message_id
        )

    def records(self, subject: str) -> dict[tuple[str, str], dict[str, Any]]:
        disclosure = self.admin("disclosure", subject).json()
        return {(r["message_id"], r["destination"]): r for r in disclosure["provision_records"]}


def start_law_stack(directory: Path) -> LawStack:
    receivers = {name: Receiver() for name in RECEIVERS}
    config_dir = write_law_config(directory, receivers)
    env = {KEY_ENV: KEY_VALUE, META_ENV: "meta-test-token"}
    stack = LawStack(GatewayProcess(config_dir, env=env), receivers, config_dir)
    try:
        stack.gateway.start()
    except Exception:
        stop_law_stack(stack)
        raise
    return stack


def stop_law_stack(stack: LawStack) -> None:
    stack.http.close()
    stack.gateway.stop()
    for receiver in stack.receivers.values():
        receiver.close()
