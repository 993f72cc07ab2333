"""Tracking plans in the config: `plans:` in any file, `tracking_plan:` on a source, every
problem in one pass as `FILE: plan "name": sentence`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.destinations.registry import read_config
from gateway.errors import ConfigError
from gateway.plans.model import TrackingPlan


def with_plans(
    config_factory: Callable[..., Path], plans: list[Any], plan: str | None = "shop"
) -> Path:
    sources = [{"id": "app", "write_key": "app-key-0001", "kind": "ios", "tracking_plan": plan}]
    directory = config_factory(sources=sources)
    (directory / "tracking.yaml").write_text(yaml.safe_dump({"plans": plans}), encoding="utf-8")
    return directory


def problems(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        read_config(directory)
    return caught.value.problems


def test_a_plan_in_any_file_is_loaded_and_named_by_its_source(
    config_factory: Callable[..., Path],
) -> None:
    config = read_config(with_plans(config_factory, [{"name": "shop", "events": {"E": {}}}]))
    assert [p.name for p in config.plans] == ["shop"]
    assert isinstance(config.plans[0], TrackingPlan)
    assert config.sources[0].tracking_plan == "shop"
    assert config.summary().endswith(", 1 tracking plan(s)")


def test_every_plan_problem_in_one_pass(config_factory: Callable[..., Path]) -> None:
    plans = [
        {"name": "shop", "violations": "explode", "events": {"E": {"propertys": {}}}},
        {"name": "shop"},
        {"events": {"E": {"properties": {"type": "object", "required": [1]}}}},
        {"name": "web", "events": {"E": {"properties": {"$ref": "https://x.example/s.json"}}}},
    ]
    found = problems(with_plans(config_factory, plans, plan="missing"))
    assert found == [
        "tracking.yaml: plan \"shop\": violations: input should be 'allow', 'drop_property' "
        "or 'drop_event'",
        'tracking.yaml: plan "shop": events.E: unknown key "propertys"',
        'tracking.yaml: plan #3: missing required key "name"',
        'tracking.yaml: plan "shop": name is already used by another plan',
        'tracking.yaml: plan "web": event "E": properties: JSON Schema error: $ref '
        '"https://x.example/s.json" is not local (only "#/..." refs are read)',
        'sources.yaml: source "app": tracking_plan "missing" is not a plan (plans: shop, web)',
    ]


def test_a_source_without_a_plan_needs_none(config_factory: Callable[..., Path]) -> None:
    assert read_config(with_plans(config_factory, [], plan=None)).plans == ()
