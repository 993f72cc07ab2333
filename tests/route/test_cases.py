"""Projection, event filter and transforms as data: tests/cases/route/*.yaml.

Each case is a destination rule (fields, transforms, events, ...) and an event; `expect` is
the payload the router produces for that destination, or null when it sends nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.config.schema import PolicyFile
from gateway.destinations.webhook import WebhookConfig
from gateway.policy.consent.resolver import Consent, PurposeDecision
from gateway.route.router import Router

CASES = Path(__file__).resolve().parents[1] / "cases" / "route"
PURPOSES = ("service", "analytics", "advertising")


class CaseLoader(yaml.SafeLoader):
    """`!sha256 text` is the hex digest of `text`, so expectations stay readable."""


def _sha256(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    text = loader.construct_scalar(node)  # type: ignore[arg-type]
    return hashlib.sha256(str(text).encode()).hexdigest()


CaseLoader.add_constructor("!sha256", _sha256)


def load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.load(path.read_text(encoding="utf-8"), Loader=CaseLoader):  # noqa: S506
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


def destination(rule: dict[str, Any]) -> WebhookConfig:
    config = {
        "name": "case",
        "type": "webhook",
        "url": "https://collector.example.net/events",
        "country": "JP",
        "purposes": ["analytics"],
        "role": "processor",
        **rule,
    }
    return WebhookConfig.model_validate(config)


def consent(overrides: dict[str, bool]) -> Consent:
    granted = {p: overrides.get(p, True) for p in PURPOSES}
    return Consent(purposes={p: PurposeDecision(g, "case") for p, g in granted.items()})


def test_there_are_enough_cases() -> None:
    assert len(load_cases()) >= 25


@pytest.mark.parametrize("case", load_cases())
def test_route_case(case: dict[str, Any]) -> None:
    policy = PolicyFile.model_validate(case.get("policy", {}))
    router = Router([destination(case["destination"])], {}, policy)
    (verdict,) = router.route(case["event"], consent(case.get("consent", {})))
    if case["expect"] is None:
        assert not verdict.send, verdict
        assert verdict.payload is None
    else:
        assert verdict.send, verdict.reason
        assert verdict.payload == case["expect"]
