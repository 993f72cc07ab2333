"""The detection corpus (`tests/policy/corpus/`) through the policy engine: recall per family
and split, and the share of ordinary values kept (`python -m tests.policy.corpus.measure`
prints the same figures)."""

from __future__ import annotations

from collections import defaultdict

from tests.policy.corpus.measure import engine, leaks, leaves, load, sanitise

MIN_RECALL = 0.99
MIN_KEPT = 0.99


def test_corpus_is_large_enough() -> None:
    forbidden, ordinary = load("forbidden.json"), load("ordinary.json")
    assert len(forbidden) >= 300 and len(ordinary) >= 300
    for rows in (forbidden, ordinary):
        held = sum(row["split"] == "held" for row in rows)
        assert 0.15 <= held / len(rows) <= 0.3  # about a fifth kept out of development


def test_recall_per_family_and_split() -> None:
    policy = engine()
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    missed = []
    for row in load("forbidden.json"):
        out, _ = sanitise(policy, row["event"])
        cell = cells[(row["family"], row["split"])]
        cell[1] += 1
        if leaks(out, row["canaries"]):
            missed.append(row["id"])
        else:
            cell[0] += 1
    low = {k: v for k, v in cells.items() if v[0] / v[1] < MIN_RECALL}
    assert not low, (low, missed)


def test_ordinary_values_are_kept() -> None:
    policy = engine()
    for split in ("dev", "held"):
        same = total = 0
        for row in load("ordinary.json"):
            if row["split"] != split:
                continue
            before = leaves(row["event"])
            after = leaves(sanitise(policy, row["event"])[0])
            same += sum(1 for path, value in before.items() if after.get(path, ...) == value)
            total += len(before)
        assert same / total >= MIN_KEPT, (split, same, total)
