"""The adversarial review's corpus as data (tests/cases/review/*.json): 116 events carrying GPS
positions, address-book entries, messages and device photos in the notations apps really use,
and 80 ordinary events that must pass untouched.

Each forbidden case lists `secrets`, substrings that must not survive the scrubber nor reach
any destination. A debatable case carries its decision: `remove` (required, counted in recall)
or `keep` (out of scope, with the reason). Two ordinary cases are chosen false positives
(`removal accepted`). The figures asserted are the ones reached; lower them only with a reason.
"""

from __future__ import annotations

import copy
import functools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.policy.forbidden.walk import FORBIDDEN_CATEGORIES, Scrubber
from tests.policy.harness import Harness

CASES = Path(__file__).resolve().parents[2] / "cases" / "review"
FORBIDDEN_FILES = ("location", "messages", "contacts", "media")
DECISIONS = {"remove", "keep", "removal accepted"}
# (caught, required): every required forbidden case; (unchanged, counted) ordinary events.
RECALL = (114, 114)
PRECISION = (78, 78)


@dataclass(frozen=True)
class ReviewCase:
    id: str
    event: dict[str, Any]
    secrets: tuple[str, ...]
    category: str
    debatable: bool
    decision: str | None

    @property
    def counted(self) -> bool:
        """Required to be removed (forbidden) or to pass (ordinary)."""
        return not self.debatable or self.decision == "remove"


def _case(raw: dict[str, Any]) -> ReviewCase:
    return ReviewCase(
        raw["id"],
        raw["event"],
        tuple(raw.get("secrets", ())),
        raw.get("category", ""),
        raw["debatable"],
        raw.get("decision"),
    )


@functools.cache
def load(name: str) -> tuple[ReviewCase, ...]:
    data = json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))
    return tuple(_case(raw) for raw in data["cases"])


FORBIDDEN = [case for name in FORBIDDEN_FILES for case in load(name)]
ORDINARY = list(load("ordinary"))


def source_of(event: dict[str, Any]) -> str:
    library = event.get("context", {}).get("library", {}).get("name", "")
    return "ios" if "ios" in library else "android" if "kotlin" in library else "web"


def leaked(case: ReviewCase, scrubbed: Any) -> list[str]:
    text = json.dumps(scrubbed, ensure_ascii=False)
    return [secret for secret in case.secrets if secret in text]


def scrubbed(scrubber: Scrubber, event: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    copied = copy.deepcopy(event)
    return copied, scrubber.scrub(copied)


def test_the_corpus_is_complete_and_every_debatable_case_is_decided() -> None:
    assert len(FORBIDDEN) == 116 and len(ORDINARY) == 80
    assert len({case.id for case in FORBIDDEN + ORDINARY}) == 196
    assert {case.category for case in FORBIDDEN} == set(FORBIDDEN_CATEGORIES)
    for case in FORBIDDEN + ORDINARY:
        assert case.debatable == (case.decision is not None), case.id
        assert case.decision is None or case.decision in DECISIONS, case.id
    for case in FORBIDDEN:
        text = json.dumps(case.event, ensure_ascii=False)
        assert case.secrets and any(secret in text for secret in case.secrets), case.id


@pytest.mark.parametrize("case", [c for c in FORBIDDEN if c.counted], ids=lambda c: c.id)
def test_forbidden_data_does_not_survive(case: ReviewCase) -> None:
    event, removals = scrubbed(Scrubber(), case.event)
    assert not leaked(case, event), [(r.path, r.rule) for r in removals]
    assert case.category in {r.category for r in removals}


@pytest.mark.parametrize("case", [c for c in ORDINARY if c.counted], ids=lambda c: c.id)
def test_ordinary_event_passes_unchanged(case: ReviewCase) -> None:
    event, removals = scrubbed(Scrubber(), case.event)
    assert removals == []
    assert event == case.event


def test_figures(capsys: pytest.CaptureFixture[str]) -> None:
    scrubber = Scrubber()
    required = [case for case in FORBIDDEN if case.counted]
    caught = sum(not leaked(case, scrubbed(scrubber, case.event)[0]) for case in required)
    counted = [case for case in ORDINARY if case.counted]
    unchanged = sum(scrubbed(scrubber, case.event) == (case.event, []) for case in counted)
    with capsys.disabled():
        print(
            f"\nreview corpus: recall {caught}/{len(required)} required "
            f"({len(FORBIDDEN) - len(required)} kept by decision), "
            f"ordinary unchanged {unchanged}/{len(counted)} "
            f"({len(ORDINARY) - len(counted)} chosen false positives)"
        )
    assert (caught, len(required)) == RECALL
    assert (unchanged, len(counted)) == PRECISION


def test_verdicts_do_not_depend_on_the_events_before() -> None:
    """The caches (clean strings and URL parameters, key verdicts) never carry a verdict from
    one event to another: one long-lived scrubber, in any order, removes exactly what a fresh
    one removes."""
    cases = FORBIDDEN + ORDINARY
    fresh = {case.id: scrubbed(Scrubber(), case.event) for case in cases}
    shared = Scrubber()
    for seed in range(3):
        order = list(cases)
        random.Random(seed).shuffle(order)
        for case in order:
            assert scrubbed(shared, case.event) == fresh[case.id], case.id


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    harness = Harness(tmp_path_factory.mktemp("review-corpus"))
    yield harness
    harness.close()


def test_through_the_pipeline_no_secret_reaches_a_destination(harness: Harness) -> None:
    for case in FORBIDDEN:
        if not case.counted:
            continue
        run = harness.run(case.event, source=source_of(case.event))
        sent = {name: payload for name, payload in run.payloads.items() if payload is not None}
        assert not leaked(case, sent), case.id


def test_through_the_pipeline_ordinary_events_lose_nothing(harness: Harness) -> None:
    for case in ORDINARY:
        if case.counted:
            run = harness.run(case.event, source=source_of(case.event))
            assert run.removed == [], case.id
