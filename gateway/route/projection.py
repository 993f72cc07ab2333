"""Allow-list projection: a destination receives only the paths its `fields` name.

Pattern syntax: dotted keys; `*` is exactly one key, `**` any number of keys (zero or more).
A pattern that names an object includes everything under it. Arrays are transparent: the
rest of the pattern applies to each element, so `properties.products.name` keeps each
product's name. Patterns compile to a lazily built deterministic automaton, so projecting
an event costs about the size of what is kept, not of the event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gateway.config.patterns import pattern_problem


@dataclass(eq=False)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    star: _Node | None = None
    globstar: _Node | None = None
    loops: bool = False
    terminal: bool = False


@dataclass(eq=False)
class _State:
    """A set of pattern positions (one DFA state), with its transitions built on demand."""

    nodes: frozenset[int]
    terminal: bool
    literal: dict[str, _State | None] = field(default_factory=dict)
    wildcard: bool = False
    steps: tuple[tuple[str, _State], ...] | None = None


class Projection:
    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._root = _Node()
        for pattern in self.patterns:
            if pattern_problem(pattern):
                raise ValueError(f'bad fields pattern "{pattern}": {pattern_problem(pattern)}')
            self._add(pattern.split("."))
        self._by_id: dict[int, _Node] = {}
        self._states: dict[frozenset[int], _State] = {}
        self._start = self._state(self._closure({self._root}))

    def _add(self, segments: list[str]) -> None:
        node = self._root
        for segment in segments:
            if segment == "**":
                node.globstar = node.globstar or _Node(loops=True)
                node = node.globstar
            elif segment == "*":
                node.star = node.star or _Node()
                node = node.star
            else:
                node = node.children.setdefault(segment, _Node())
        node.terminal = True

    def _closure(self, nodes: Iterable[_Node]) -> set[_Node]:
        out: set[_Node] = set()
        stack = list(nodes)
        while stack:
            node = stack.pop()
            if node not in out:
                out.add(node)
                if node.globstar is not None:
                    stack.append(node.globstar)
        return out

    def _state(self, nodes: set[_Node]) -> _State:
        key = frozenset(id(n) for n in nodes)
        state = self._states.get(key)
        if state is None:
            for node in nodes:
                self._by_id[id(node)] = node
            wildcard = any(n.star is not None or n.loops for n in nodes)
            state = _State(key, any(n.terminal for n in nodes), wildcard=wildcard)
            self._states[key] = state
        return state

    def _step(self, state: _State, key: str) -> _State | None:
        if key in state.literal:
            return state.literal[key]
        nodes = [self._by_id[i] for i in state.nodes]
        reached: list[_Node] = []
        for node in nodes:
            if key in node.children:
                reached.append(node.children[key])
            if node.star is not None:
                reached.append(node.star)
            if node.loops:
                reached.append(node)
        result = self._state(self._closure(reached)) if reached else None
        if len(state.literal) < 4096:
            state.literal[key] = result
        return result

    def apply(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event reduced to the allowed paths (a new dict; values are shared, not copied)."""
        if self._start.terminal:
            return dict(event)
        return self._object(event, self._start)

    def _object(self, value: dict[str, Any], state: _State) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if state.wildcard:
            for key in value:
                child = self._step(state, key)
                if child is not None:
                    kept = self._value(value[key], child)
                    if kept is not _SKIP:
                        out[key] = kept
            return out
        for key, child in self._literal_steps(state):
            if key in value:
                kept = self._value(value[key], child)
                if kept is not _SKIP:
                    out[key] = kept
        return out

    def _literal_steps(self, state: _State) -> tuple[tuple[str, _State], ...]:
        """A state without wildcards only follows its named keys: computed once."""
        if state.steps is None:
            names: dict[str, None] = {}
            for node_id in state.nodes:
                names.update(dict.fromkeys(self._by_id[node_id].children))
            steps = ((key, self._step(state, key)) for key in names)
            state.steps = tuple((key, child) for key, child in steps if child is not None)
        return state.steps

    def _value(self, value: Any, state: _State) -> Any:
        if state.terminal:
            return value
        if isinstance(value, dict):
            projected = self._object(value, state)
            return projected if projected else _SKIP
        if isinstance(value, list):
            items = [self._value(item, state) for item in value]
            kept = [item for item in items if item is not _SKIP]
            return kept if kept else _SKIP
        return _SKIP

    def allows(self, path: Iterable[str]) -> bool:
        """True when the key path (array indices left out) is at or under a named pattern."""
        state: _State | None = self._start
        for key in path:
            if state is None:
                return False
            if state.terminal:
                return True
            state = self._step(state, key)
        return state is not None and state.terminal


_SKIP: Any = object()
