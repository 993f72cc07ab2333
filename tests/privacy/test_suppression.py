"""What a deletion keeps and what merged choices remember, as properties: a suppression
record holds every refusal and suspension and nothing else; the notice a merged grant was
made against is no wider than any key's."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.engine import merge_preferences
from gateway.privacy.preferences import suppression_of

NAMES = st.sampled_from(["analytics", "advertising", "location", "ads", "stats"])
STATE = st.fixed_dictionaries(
    {},
    optional={
        "purposes": st.dictionaries(NAMES, st.booleans(), max_size=4),
        "vendors": st.dictionaries(NAMES, st.booleans(), max_size=4),
        "advertising_id": st.booleans(),
        "suspend_use": st.booleans(),
        "suspend_provision": st.booleans(),
        "seen": st.fixed_dictionaries(
            {"purposes": st.lists(NAMES, max_size=3), "recipients": st.lists(NAMES, max_size=3)}
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(STATE)
def test_a_suppression_record_keeps_every_refusal_and_nothing_else(state: dict[str, Any]) -> None:
    kept = suppression_of(state)
    for section in ("purposes", "vendors"):
        refused = {k for k, v in state.get(section, {}).items() if v is False}
        assert set(kept.get(section, {})) == refused
        assert all(v is False for v in kept.get(section, {}).values())
    assert ("advertising_id" in kept) == (state.get("advertising_id") is False)
    for flag in ("suspend_use", "suspend_provision"):
        assert (flag in kept) == (state.get(flag) is True)
    assert set(kept) <= {
        "purposes",
        "vendors",
        "advertising_id",
        "suspend_use",
        "suspend_provision",
    }


@settings(max_examples=300, deadline=None)
@given(st.lists(STATE, min_size=1, max_size=3))
def test_merged_grants_remember_no_more_than_any_granting_key_saw(
    states: list[dict[str, Any]],
) -> None:
    merged = merge_preferences(states)
    granting = [
        s for s in states
        if any(True in (s.get(k) or {}).values() for k in ("purposes", "vendors"))
    ]  # fmt: skip
    if not granting or "seen" not in merged:
        # No grant survives the merge (a refusal under another key wins): nothing to review.
        assert not any(True in merged[k].values() for k in ("purposes", "vendors"))
        return
    for state in granting:
        seen = state.get("seen") or {"purposes": [], "recipients": []}
        assert set(merged["seen"]["recipients"]) <= set(seen["recipients"])
        assert set(merged["seen"]["purposes"]) <= set(seen["purposes"])
