"""Property: a projection keeps exactly the leaves its patterns name, checked against an
independent matcher (a plain recursive glob over key segments)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.config.patterns import pattern_problem
from gateway.route.projection import Projection

KEYS = ["a", "b", "c", "id", "x.y"]
SEGMENTS = ["a", "b", "c", "id", "*", "**"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["", "s", "t"]))
events = st.dictionaries(
    st.sampled_from(KEYS),
    st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
        ),
        max_leaves=20,
    ),
    max_size=5,
)
patterns = st.lists(
    st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map(".".join),
    min_size=1,
    max_size=4,
)


def glob(pattern: list[str], path: list[str]) -> bool:
    """Whole-path match: `*` is one key, `**` zero or more keys."""
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return glob(rest, path) or (bool(path) and glob(pattern, path[1:]))
    return bool(path) and head in ("*", path[0]) and glob(rest, path[1:])


def named(patterns: list[str], path: list[str]) -> bool:
    """A pattern names a path when it matches the path or one of its ancestors."""
    return any(
        glob(p.split("."), path[:length]) for p in patterns for length in range(len(path) + 1)
    )


def leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """(key path without array indices, value) of every scalar and empty container."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for item in value:
            yield from leaves(item, path)
    else:
        yield path, repr(value)


@settings(max_examples=400, deadline=None)
@given(event=events, fields=patterns)
def test_projection_keeps_exactly_the_named_leaves(
    event: dict[str, Any], fields: list[str]
) -> None:
    projection = Projection(fields)
    projected = projection.apply(event)
    kept = Counter(leaf for leaf in leaves(projected) if leaf[0])  # () is the root itself
    for path, _ in kept:
        assert named(fields, list(path)), (path, fields)
        assert projection.allows(path), (path, fields)
    expected = Counter(leaf for leaf in leaves(event) if leaf[0] and named(fields, list(leaf[0])))
    assert kept == expected


@settings(max_examples=300, deadline=None)
@given(fields=patterns, path=st.lists(st.sampled_from(KEYS), max_size=6))
def test_allows_agrees_with_the_independent_matcher(fields: list[str], path: list[str]) -> None:
    assert Projection(fields).allows(path) == named(fields, path)


@settings(max_examples=100, deadline=None)
@given(event=events, fields=patterns)
def test_projection_does_not_touch_the_event(event: dict[str, Any], fields: list[str]) -> None:
    before = repr(event)
    Projection(fields).apply(event)
    assert repr(event) == before


@pytest.mark.parametrize("pattern", ["", " a", "a..b", ".a", "a.", "a*", "a.*b", "a.b**", "***"])
def test_malformed_patterns_are_refused(pattern: str) -> None:
    assert pattern_problem(pattern) is not None
    with pytest.raises(ValueError, match="bad fields pattern"):
        Projection([pattern])
