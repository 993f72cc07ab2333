"""One real gateway process for the e2e session, its config, its loopback receivers, and the
checks the tests share. Tests tell their events apart by IDs made per test."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.configs import APP_KEY, SERVER_KEY, WEB_KEY, webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

# What each destination may receive: allow-lists, so anything else reaching a receiver is a bug.
ANALYTICS_FIELDS = [
    "type", "event", "name", "messageId", "anonymousId", "userId", "groupId", "previousId",
    "timestamp", "properties.**", "traits.plan", "traits.name", "context.page.path",
    "context.page.url", "context.page.search", "context.library.*", "context.consent.gpc",
    "context.device.type", "context.os.*",
]  # fmt: skip
ADS_FIELDS = ["type", "event", "messageId", "anonymousId", "userId", "context.device.advertisingId"]
FEED_FIELDS = ["type", "event", "name", "anonymousId", "properties.**"]

# Keys the policy forbids (location, contacts, message content, media) as tests inject them.
FORBIDDEN_KEYS = frozenset({"latitude", "longitude", "lat", "lng", "photo", "contacts", "message"})
PNG_DATA_URI = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAHnOcQAAAAABJRU5ErkJggg=="  # noqa: E501


@dataclass
class Stack:
    gateway: GatewayProcess
    analytics: Receiver
    ads: Receiver

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def host(self) -> str:
        return self.gateway.url.removeprefix("http://")

    def not_forwarded(self, destination: str, reason: str) -> float:
        """The gateway's count of events it decided not to send to `destination`."""
        return self.counter("gateway_events_not_forwarded", destination=destination, reason=reason)

    def counter(self, name: str, **labels: str) -> float:
        """The sum of a Prometheus counter's samples carrying these labels."""
        text = httpx.get(self.url + "/metrics", timeout=5).text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name + "_total"
            and all(sample.labels.get(k) == v for k, v in labels.items())
        )


def stack_config(site_origin: str, analytics_url: str, ads_url: str, feed: Path) -> dict[str, Any]:
    """Keyword arguments for tests.support.configs.write_config."""
    sources = [
        {"id": "web", "write_key": WEB_KEY, "kind": "web", "allowed_origins": [site_origin]},
        {"id": "server", "write_key": SERVER_KEY, "kind": "server"},
        {"id": "app", "write_key": APP_KEY, "kind": "ios"},
    ]
    destinations = [
        webhook("analytics", analytics_url, fields=ANALYTICS_FIELDS),
        webhook("ads", ads_url, purposes=["advertising"], fields=ADS_FIELDS),
        {
            "name": "demo-feed",
            "type": "file",
            "path": str(feed),
            "country": "JP",
            "purposes": ["analytics"],
            "fields": FEED_FIELDS,
            "role": "processor",
        },
    ]
    return {
        "sources": sources,
        "destinations": destinations,
        "gateway": {"demo": {"enabled": True}},
    }


def run_id() -> str:
    return uuid.uuid4().hex[:12]


def wait_for(
    receiver: Receiver, match: Callable[[dict[str, Any]], bool], count: int, timeout: float = 15
) -> list[dict[str, Any]]:
    """The events matching `match`, once at least `count` arrived."""
    deadline = time.monotonic() + timeout
    while True:
        got = [e for e in receiver.events() if match(e)]
        if len(got) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if len(got) < count:
        raise AssertionError(f"receiver got {len(got)} matching events, expected {count}: {got}")
    return got


def by(key: str, value: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda event: event.get(key) == value


def leaf_paths(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every path to a scalar (array positions are not path segments, as in the config)."""
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from leaf_paths(child, (*prefix, key))
    elif isinstance(value, list) and value:
        for child in value:
            yield from leaf_paths(child, prefix)
    else:
        yield prefix


def allowed(path: tuple[str, ...], patterns: Iterable[str]) -> bool:
    """Whether a destination whose `fields` are `patterns` may receive `path` (`*` is one
    key, `**` any number of keys): an independent reading of the config contract."""
    return any(_match(path, tuple(p.split("."))) for p in patterns)


def _match(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(path[i:], rest) for i in range(len(path) + 1))
    return bool(path) and head in ("*", path[0]) and _match(path[1:], rest)


def disallowed_paths(event: dict[str, Any], patterns: Iterable[str]) -> list[str]:
    patterns = list(patterns)
    return [".".join(p) for p in leaf_paths(event) if not allowed(p, patterns)]


def forbidden_keys(value: Any) -> list[str]:
    """Forbidden keys found at any depth (inside arrays too)."""
    found = []
    for path in leaf_paths(value):
        found += [key for key in path if key.lower() in FORBIDDEN_KEYS]
    return found


COORDINATE_QUERY = re.compile(r"[?&](lat|lng|latitude|longitude)=", re.IGNORECASE)
