"""The config check's pattern matcher agrees with the router's projection automaton."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.config.patterns import covers
from gateway.route.projection import Projection

segments = st.sampled_from(["a", "b", "c", "*", "**"])
keys = st.sampled_from(["a", "b", "c", "d"])


@given(st.lists(st.lists(segments, min_size=1, max_size=4), min_size=1, max_size=3),
       st.lists(keys, min_size=1, max_size=5))  # fmt: skip
def test_covers_agrees_with_the_projection(patterns: list[list[str]], path: list[str]) -> None:
    projection = Projection(".".join(p) for p in patterns)
    assert any(covers(p, path) for p in patterns) == projection.allows(path)


def test_covers_examples() -> None:
    assert covers(["context", "*"], ["context", "ip"])
    assert covers(["properties"], ["properties", "a", "b"])
    assert covers(["**", "ip"], ["context", "ip"])
    assert not covers(["context", "ip"], ["context"])
    assert not covers(["context", "*"], ["traits", "ip"])
