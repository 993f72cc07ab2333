"""The policy engine as data: tests/cases/policy/*.yaml through the real pipeline.

A case is an event with its request headers, stored preferences, policy overrides and source,
and the EXACT payload each destination of tests/policy/harness.py receives (null: nothing).
Optional expectations: `removed` (every removed path, as "path category/rule" or just
"path"), `purposes` ("true", "false", or "false by <signal>"), `problems` (substrings of the
signal problems, one each), `reasons` (substring of a destination's verdict), `dropped`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.policy.harness import DESTINATIONS, Harness, Run, load_yaml

CASES = Path(__file__).resolve().parents[1] / "cases" / "policy"
CASE_KEYS = {"name", "source", "allow_categories", "headers", "stored", "stored_by", "policy",
             "event", "expect"}  # fmt: skip
EXPECT_KEYS = {*DESTINATIONS, "removed", "purposes", "problems", "reasons", "dropped"}


@functools.cache
def load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in load_yaml(path):
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    harness = Harness(tmp_path_factory.mktemp("policy-cases"))
    yield harness
    harness.close()


def test_there_are_enough_cases_in_several_files() -> None:
    assert len(load_cases()) >= 80
    assert len(list(CASES.glob("*.yaml"))) >= 5


def test_case_names_are_unique() -> None:
    names = [p.id for p in load_cases()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", load_cases())
def test_policy_case(harness: Harness, case: dict[str, Any]) -> None:
    assert set(case) <= CASE_KEYS, f"unknown case keys {set(case) - CASE_KEYS}"
    expect = case["expect"]
    assert set(expect) <= EXPECT_KEYS, f"unknown expect keys {set(expect) - EXPECT_KEYS}"
    missing = set(DESTINATIONS) - set(expect)
    assert not missing, f"a case states every destination's payload; missing {missing}"
    run = harness.run(
        case["event"],
        source=case.get("source", "web"),
        headers=case.get("headers"),
        stored=case.get("stored"),
        stored_by=case.get("stored_by"),
        policy=case.get("policy"),
        allow=case.get("allow_categories"),
    )
    check_payloads(run, expect)
    if "removed" in expect:
        check_removed(run, expect["removed"])
    for purpose, want in expect.get("purposes", {}).items():
        check_purpose(run, purpose, want)
    if "problems" in expect:
        check_problems(run, expect["problems"])
    for destination, reason in expect.get("reasons", {}).items():
        assert reason in run.reasons.get(destination, ""), run.reasons
    assert bool(run.outcome.dropped) is bool(expect.get("dropped", False)), run.outcome.dropped


def check_payloads(run: Run, expect: dict[str, Any]) -> None:
    got = run.payloads
    for destination in DESTINATIONS:
        why = run.reasons.get(destination, run.outcome.dropped)
        assert got[destination] == expect[destination], f"{destination} ({why})"


def check_removed(run: Run, expected: list[str]) -> None:
    """Every removal, exactly; an expectation without " category/rule" matches any."""
    bare = {item for item in expected if " " not in item}
    got = []
    for path, category, rule in run.removed:
        got.append(path if path in bare else f"{path} {category}/{rule}")
    assert sorted(got) == sorted(expected), f"removed {run.removed}"


def check_purpose(run: Run, purpose: str, want: Any) -> None:
    granted, signal = run.purposes[purpose]
    if isinstance(want, bool):
        assert granted is want, f"{purpose}: {granted} by {signal}"
        return
    value, _, by = str(want).partition(" by ")
    assert (str(granted).lower(), signal) == (value, by), f"{purpose}: {granted} by {signal}"


def check_problems(run: Run, expected: list[str]) -> None:
    problems = list(run.outcome.decision.consent.problems)
    assert len(problems) == len(expected), problems
    for text in expected:
        assert any(text in p for p in problems), problems
