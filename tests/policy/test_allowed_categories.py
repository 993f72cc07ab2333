"""A source's allow_categories lets a forbidden category through only with consent, and
then only to destinations that declare the category among their purposes (the policy's
exception is for the app's own stated purpose, not for every third party)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.destinations.registry import read_config
from gateway.policy.consent.resolver import RequestSignals
from gateway.runtime import Gateway, Runtime
from tests.support.configs import write_config

APP_KEY = "running-app-key-01"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    directory = write_config(
        tmp_path / "config",
        sources=[
            {
                "id": "runner",
                "write_key": APP_KEY,
                "kind": "ios",
                "allow_categories": ["location", "media"],
            },
        ],
        destinations=[
            _file("routes", ["analytics", "location"]),
            _file("stats", ["analytics"]),
            _file("everything", ["analytics", "location", "media"]),
        ],
    )
    loop = asyncio.new_event_loop()
    gateway = Gateway(read_config(directory), run_worker=False)
    yield loop.run_until_complete(gateway.start())
    loop.run_until_complete(gateway.stop())
    loop.close()


def _file(name: str, purposes: list[str]) -> dict[str, Any]:
    return {"name": name, "type": "file", "path": f"{name}.jsonl", "country": "JP",
            "role": "processor", "purposes": purposes,
            "fields": ["event", "properties.**"]}  # fmt: skip


def payloads(runtime: Runtime, grants: dict[str, bool]) -> dict[str, Any]:
    event = {
        "type": "track",
        "event": "Run Finished",
        "anonymousId": "a1",
        "properties": {
            "distance_km": 5.2,
            "route": {"lat": 35.6812, "lng": 139.7671},
            "photo": "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==",
        },
        "context": {"consent": {"categoryPreferences": grants}},
    }
    source = runtime.config.sources[0]
    keys = runtime.pipeline.prepare(event)
    outcome = runtime.pipeline.process(event, keys, source, RequestSignals(), {})
    return {v.destination: v.payload for v in outcome.verdicts}


def test_an_allowed_category_reaches_only_destinations_that_declare_it(runtime: Runtime) -> None:
    sent = payloads(runtime, {"location": True, "media": True})
    route = {"lat": 35.6812, "lng": 139.7671}
    photo = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ=="
    assert sent["routes"] == {
        "event": "Run Finished",
        "properties": {"distance_km": 5.2, "route": route},
    }
    assert sent["stats"] == {
        "event": "Run Finished",
        "properties": {"distance_km": 5.2, "route": {}},
    }
    assert sent["everything"]["properties"] == {"distance_km": 5.2, "route": route, "photo": photo}


def test_without_consent_nobody_gets_the_category(runtime: Runtime) -> None:
    sent = payloads(runtime, {"location": False, "media": True})
    # A destination whose declared purpose is refused receives nothing at all.
    assert sent["routes"] is None
    assert sent["everything"] is None
    assert sent["stats"] == {
        "event": "Run Finished",
        "properties": {"distance_km": 5.2, "route": {}},
    }
