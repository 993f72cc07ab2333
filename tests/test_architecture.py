"""The import structure: no cycle between gateway's packages and top-level modules, and
only the edges (app.py, cli/) import the composition root. Read from the source with ast,
every import counted, those inside functions too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[1] / "gateway"
EDGES = {"app", "cli", "asgi"}


def unit_of(module: str) -> str | None:
    """`gateway.policy.engine` → `policy`; `gateway.app` → `app`; others → None."""
    parts = module.split(".")
    if parts[0] != "gateway" or len(parts) < 2:
        return None
    return parts[1]


def imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(path.relative_to(GATEWAY.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in GATEWAY.rglob("*.py"):
        source = unit_of(".".join(path.relative_to(GATEWAY.parent).with_suffix("").parts))
        if source is None or source == "__init__":
            continue
        targets = {unit_of(name) for name in imports(path)}
        edges.setdefault(source, set()).update(
            t for t in targets if t is not None and t != source and t != "__init__"
        )
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_no_cycle_between_gateway_packages_and_top_level_modules() -> None:
    edges = graph()
    assert {"intake", "ingest", "policy", "store", "cli", "app"} <= edges.keys()
    assert cycles(edges) == []


def test_only_the_edges_import_the_composition_root() -> None:
    importers = {source for source, targets in graph().items() if "runtime" in targets}
    assert importers <= EDGES, importers - EDGES


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
