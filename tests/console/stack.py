"""A real gateway process for the console tests: a commented destinations.yaml with two
webhooks on real receivers, the live debugger on, and admin tokens of each scope."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.configs import write_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

EDITOR = "console-editor-token-0001"  # config:read, config:write, debug:read, deadletter
READER = "console-reader-token-0001"  # config:read only
OTHER = "console-other-token-0001"  # explain only
TOKENS = {
    "editor": (EDITOR, ["config:read", "config:write", "debug:read", "deadletter"]),
    "reader": (READER, ["config:read"]),
    "other": (OTHER, ["explain"]),
}
DESTINATIONS = """# Forwarding rules (edited by hand and by the console).
destinations:
  # The analytics hook: marketing's own collector.
  - name: analytics
    type: webhook
    url: {analytics}
    country: JP
    purposes: [analytics]
    role: processor
    fields: [type, event, messageId]  # keep this list short
    allow_private_network: true
  - name: crm
    type: webhook
    url: {crm}
    country: JP
    purposes: [analytics]
    role: processor
    fields: [type, event, messageId, properties.plan]
    allow_private_network: true
"""
DELIVERY = {
    "timeout_seconds": 5.0,
    "backoff_base_seconds": 0.05,
    "backoff_max_seconds": 0.1,
    "max_attempts": 1,
    "breaker_failures": 100,
    "poll_interval_seconds": 0.05,
}


@dataclass
class ConsoleStack:
    process: GatewayProcess
    directory: Path
    receivers: dict[str, Receiver]

    @property
    def url(self) -> str:
        return self.process.url

    def file(self) -> str:
        return (self.directory / "destinations.yaml").read_text(encoding="utf-8")

    def api(self, method: str, path: str, token: str = EDITOR, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=20, **kwargs)

    def version(self) -> str:
        return str(self.api("GET", "/admin/api/destinations").json()["version"])

    def item(self, name: str) -> dict[str, Any]:
        listing = self.api("GET", "/admin/api/destinations").json()
        return next(d["config"] for d in listing["destinations"] if d["config"]["name"] == name)

    def send(self, event: dict[str, Any], key: str) -> None:
        answer = httpx.post(self.url + "/v1/track", json=event, auth=(key, ""), timeout=10)
        assert answer.status_code == 200, answer.text

    def reset(self, text: str) -> None:
        """Put the destinations file back (and reload) between tests."""
        (self.directory / "destinations.yaml").write_text(text, encoding="utf-8")
        answer = self.api("POST", "/admin/reload", headers={})
        assert answer.status_code == 200, answer.text
        for receiver in self.receivers.values():
            receiver.requests.clear()


def write_console_config(directory: Path, receivers: dict[str, Receiver]) -> str:
    tokens = [
        {
            "name": name,
            "sha256": hashlib.sha256(token.encode()).hexdigest(),
            "scopes": [*scopes, "reload"],
        }
        for name, (token, scopes) in TOKENS.items()
    ]
    write_config(
        directory,
        gateway={
            "admin": {"tokens": tokens},
            "delivery": DELIVERY,
            "console": {"debugger": True, "debugger_seconds": 120},
            # The tests play a TLS-terminating proxy on loopback (X-Forwarded-Proto).
            "trusted_proxies": {"networks": ["127.0.0.1/32"]},
        },
    )
    text = DESTINATIONS.format(analytics=receivers["analytics"].url, crm=receivers["crm"].url)
    (directory / "destinations.yaml").write_text(text, encoding="utf-8")
    yaml.safe_load(text)  # the fixture itself must be valid YAML
    return text


def start_console_stack(directory: Path) -> tuple[ConsoleStack, str]:
    receivers = {"analytics": Receiver(), "crm": Receiver()}
    text = write_console_config(directory, receivers)
    process = GatewayProcess(directory).start()
    return ConsoleStack(process, directory, receivers), text


def wait_until(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
