"""Recall and precision of the policy stage on the detection corpus, per family and split.

A forbidden payload is caught when none of its canaries (values that must reach no
destination) survives anywhere in the sanitised event. Kept: the share of an ordinary
payload's leaf values kept unchanged. Precision per category, counted in events: of the
events with a removal of that category, the share that held forbidden data (an ordinary
event counts against a category when a value it changed was taken by that category; in a
forbidden event every removal counts as right, since the corpus labels events, not values).
Run `python -m tests.policy.corpus.measure [--split S]`.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from gateway.config.schema import PolicyFile, SourceConfig
from gateway.policy.consent.resolver import RequestSignals
from gateway.policy.engine import PolicyEngine

HERE = Path(__file__).parent
SOURCE = SourceConfig(id="app", write_key="corpus-key-0001", kind="ios")


def load(name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((HERE / name).read_text(encoding="utf-8"))
    return rows


def engine() -> PolicyEngine:
    return PolicyEngine(PolicyFile(), [SOURCE])


def sanitise(policy: PolicyEngine, event: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    event = copy.deepcopy(event)
    decision = policy.evaluate(event, SOURCE, RequestSignals(), None)
    return decision.event, decision.removed


def _needle(canary: Any) -> str:
    text = json.dumps(canary, ensure_ascii=False)
    return text[1:-1] if text[:1] in '"[' else text


def leaks(event: dict[str, Any], canaries: list[Any]) -> list[str]:
    dump = json.dumps(event, ensure_ascii=False)
    return [_needle(c) for c in canaries if _needle(c) in dump]


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= leaves(item, f"{path}.{key}")
        return out
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out |= leaves(item, f"{path}[{index}]")
        return out
    return {path: value}


def _blamed(path: str, removed: list[Any]) -> str:
    """The category of the removal that took an ordinary value: the removal at the value's
    path or above it ("properties.a" took "properties.a.b"); "(unrecorded)" when none did."""
    path = path.removeprefix(".")  # leaves() writes ".properties.a"
    for removal in removed:
        where = removal.path.split("?")[0]
        if path == where or path.startswith((where + ".", where + "[")):
            return str(removal.category)
    return "(unrecorded)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["dev", "held", "all"], default="dev")
    parser.add_argument("-v", action="store_true", help="list misses and changed values")
    args = parser.parse_args()
    policy = engine()
    caught: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    # (category, split) -> [events rightly given a removal of it, events wrongly]
    judged: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in load("forbidden.json"):
        if args.split != "all" and row["split"] != args.split:
            continue
        out, removed = sanitise(policy, row["event"])
        for category in {str(r.category) for r in removed}:
            judged[(category, row["split"])][0] += 1
        leaked = leaks(out, row["canaries"])
        cell = caught[(row["family"], row["split"])]
        cell[0] += not leaked
        cell[1] += 1
        if leaked and args.v:
            print("MISS", row["id"], leaked[0][:60])
    kept: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wrongly: dict[tuple[str, str], int] = defaultdict(int)
    for row in load("ordinary.json"):
        if args.split != "all" and row["split"] != args.split:
            continue
        before = leaves(row["event"])
        out, removed = sanitise(policy, row["event"])
        after = leaves(out)
        same = sum(1 for path, value in before.items() if after.get(path, object()) == value)
        cell = kept[row["split"]]
        cell[0] += same
        cell[1] += len(before)
        blamed = set()
        for path, value in before.items():
            if after.get(path, object()) != value:
                blamed.add(_blamed(path, removed))
                wrongly[(_blamed(path, removed), row["split"])] += 1
        for category in blamed:
            judged[(category, row["split"])][1] += 1
        if same < len(before) and args.v:
            print("TOUCHED", row["id"], [(r.path, r.rule) for r in removed])
    for (family, split), (hit, total) in sorted(caught.items()):
        print(f"recall   {family:15} {split:5} {hit:4}/{total:<4} {100 * hit / total:6.1f}%")
    for split, (same, total) in sorted(kept.items()):
        print(
            f"kept     {'ordinary values':15} {split:5} {same:4}/{total:<4} "
            f"{100 * same / total:6.2f}%"
        )
    for (category, split), (right, wrong) in sorted(judged.items()):
        share = 100 * right / (right + wrong)
        print(f"precision {category:15} {split:5} {right:4}/{right + wrong:<4} {share:6.1f}%"
              "  events with such a removal that held forbidden data")  # fmt: skip
    for (category, split), count in sorted(wrongly.items()):
        total = kept[split][1]
        print(f"wrongly  {category:15} {split:5} {count:4}/{total:<4} ordinary values removed")


if __name__ == "__main__":
    main()
