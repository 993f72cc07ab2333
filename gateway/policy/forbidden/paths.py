"""Paths in an event: the configured ones (known paths removed whole, trusted paths the gateway
wrote itself, the subtrees that get the event name's context, a page's `search`) as a trie the
walk follows, and the rendering of a removed item's path for reports ("properties.items[2].photo").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from gateway.policy.forbidden.shapes.values import string_shape

# The steps to a value, innermost last: (parent chain, key). Not a recursive alias: mypyc
# cannot compile one.
Chain: TypeAlias = "tuple[Any, str | int] | None"
NAMED_PATHS = ("properties",)  # the event's name gives its context to these
PAGE_SEARCH_PATHS = ("context.page.search", "properties.search")  # Segment's page fields


@dataclass(slots=True)
class Node:
    """A step of a configured path: its children, or the verdict at its end."""

    children: dict[str, Node] = field(default_factory=dict)
    category: str | None = None  # known path: remove the subtree as this category
    trusted: bool = False  # written by the gateway itself: not scanned
    named: bool = False  # the event's name gives its context to this subtree (`properties`)
    routed: bool = False  # a page's `search`: the query of the `url` beside it


def build_trie(known: Mapping[str, str], trusted: Iterable[str]) -> dict[str, Node]:
    root: dict[str, Node] = {}
    for path, category in known.items():
        _node_at(root, path).category = category
    for path in trusted:
        _node_at(root, path).trusted = True
    for path in NAMED_PATHS:
        _node_at(root, path).named = True
    for path in PAGE_SEARCH_PATHS:
        _node_at(root, path).routed = True
    return root


def _node_at(root: dict[str, Node], path: str) -> Node:
    steps = path.split(".")
    node = root.setdefault(steps[0], Node())
    for step in steps[1:]:
        node = node.children.setdefault(step, Node())
    return node


def render(chain: Chain, key: str | int) -> str:
    """The path of `key` under `chain`, as reports name it."""
    keys: list[str | int] = [key]
    while chain is not None:
        chain, step = chain
        keys.append(step)
    parts: list[str] = []
    for step in reversed(keys):
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(f".{safe(step)}" if parts else safe(step))
    return "".join(parts)


def safe(name: str) -> str:
    """A key or parameter name for a Removal path; one that is itself data is masked."""
    return "*" if string_shape(name) is not None else name
