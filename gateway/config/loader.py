"""Reads every *.yaml in a config directory into one validated `Config`.

One pass collects every problem; `ConfigError.problems` holds them as sentences of the
form `FILE: component "name": sentence`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from gateway.config.defaults import builtin_policy
from gateway.config.schema import (
    DestinationConfig,
    GatewayFile,
    PlanConfig,
    PolicyFile,
    SourceConfig,
)
from gateway.config.validation import View, cross_check
from gateway.errors import ConfigError

GATEWAY_SECTIONS = frozenset(GatewayFile.model_fields)
LIST_SECTIONS = {"sources": "source", "destinations": "destination", "plans": "plan"}
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Config:
    directory: Path
    gateway: GatewayFile
    sources: tuple[SourceConfig, ...]
    destinations: tuple[DestinationConfig, ...]
    policy: PolicyFile
    origin_files: Mapping[str, str] = field(default_factory=dict)
    plans: tuple[PlanConfig, ...] = ()

    def summary(self) -> str:
        enabled = sum(1 for d in self.destinations if d.enabled)
        return (
            f"config OK: {len(self.sources)} source(s), {enabled} destination(s), "
            f"{len(self.policy.purposes)} purpose(s), storage {self.gateway.storage.backend}, "
            f"policy {self.policy.version}"
            + (f", {len(self.plans)} tracking plan(s)" if self.plans else "")
        )


@dataclass
class _Raw:
    """Top-level sections gathered from every file, with the file each came from."""

    sections: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    items: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)


DestinationModels = Mapping[str, type[DestinationConfig]]


def load_config(
    directory: str | Path,
    destination_types: DestinationModels,
    plan_model: type[PlanConfig] = PlanConfig,
) -> Config:
    """Load and validate; raises ConfigError listing every problem. `destination_types`
    maps each destination `type` to its config model (the destinations' registry);
    `plan_model` is the tracking plans' model (gateway/plans/)."""
    root = Path(directory)
    problems: list[str] = []
    if not root.is_dir():
        raise ConfigError([f"{root}: config directory does not exist"])
    raw = _read_files(root, problems)
    gateway = _build(GatewayFile, _gateway_sections(raw), raw, problems, "gateway.yaml")
    policy = _build_policy(raw, problems)
    sources = _build_items(raw, "sources", problems, {"": SourceConfig})
    destinations = _build_items(raw, "destinations", problems, destination_types)
    plans = _build_items(raw, "plans", problems, {"": plan_model})
    problems.extend(_plan_problems(plans))
    if policy is None:
        # Countries and purposes are checked against the policy: without a valid one those
        # checks would report problems that are not there.
        raise ConfigError(problems)
    config = Config(
        directory=root,
        gateway=gateway or GatewayFile(),  # its problems are listed; the other checks still run
        sources=tuple(s for _, _, s in sources if s is not None),
        destinations=tuple(d for _, _, d in destinations if d is not None),
        policy=policy,
        origin_files=dict(raw.files),
        plans=tuple(p for _, _, p in plans if p is not None),
    )
    problems.extend(
        cross_check(
            config,
            [(f, View(item)) for f, item, _ in sources],
            [(f, View(item)) for f, item, _ in destinations],
            {n for _, item, _ in plans if isinstance(n := item.get("name"), str)},
        )
    )
    if problems:
        raise ConfigError(problems)
    return config


def _read_files(root: Path, problems: list[str]) -> _Raw:
    raw = _Raw()
    for path in sorted(root.glob("*.yaml")) + sorted(root.glob("*.yml")):
        document = _parse_yaml(path, problems)
        if document is None:
            continue
        for key, value in document.items():
            _add_section(raw, path.name, str(key), value, problems)
    return raw


def _parse_yaml(path: Path, problems: list[str]) -> dict[Any, Any] | None:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        where = f"{_position(exc.problem_mark)}: " if exc.problem_mark else ""
        problems.append(f"{path.name}: {where}YAML syntax error: {exc.problem}{_context(exc)}")
        return None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{path.name}: cannot be read as YAML ({type(exc).__name__})")
        return None
    except OSError as exc:  # a directory named *.yaml, a dangling editor lock link, no access
        problems.append(f"{path.name}: cannot be read ({exc.strerror or type(exc).__name__})")
        return None
    if document is None:
        return None
    if not isinstance(document, dict):
        problems.append(f"{path.name}: the file must be a mapping of sections, not a list or value")
        return None
    return document


def _position(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _context(exc: yaml.MarkedYAMLError) -> str:
    """Where the unfinished construct began: the problem mark alone can point past it (an
    unclosed bracket is only noticed at the end of the file)."""
    mark, problem = exc.context_mark, exc.problem_mark
    if exc.context is None or mark is None:
        return ""
    if problem is not None and (mark.line, mark.column) == (problem.line, problem.column):
        return ""
    return f" ({exc.context} at {_position(mark)})"


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (C version when built), refusing duplicate keys: YAML requires unique
    keys and PyYAML would otherwise keep the last one silently (a repeated `fields:` or
    `purposes:` must not pass unnoticed)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f'duplicate key "{key}"', key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _add_section(raw: _Raw, filename: str, key: str, value: Any, problems: list[str]) -> None:
    if key in LIST_SECTIONS:
        if not isinstance(value, list):
            problems.append(f"{filename}: {key}: must be a list")
            return
        raw.items.setdefault(key, []).extend((filename, item) for item in value)
        raw.files.setdefault(key, filename)
        return
    if key not in GATEWAY_SECTIONS and key != "policy":
        known = ", ".join(sorted([*GATEWAY_SECTIONS, "policy", *LIST_SECTIONS]))
        problems.append(f'{filename}: unknown section "{key}" (known sections: {known})')
        return
    if key in raw.files:
        problems.append(f'{filename}: section "{key}" is already defined in {raw.files[key]}')
        return
    raw.sections[key] = value
    raw.files[key] = filename


def _gateway_sections(raw: _Raw) -> dict[str, Any]:
    return {k: v for k, v in raw.sections.items() if k in GATEWAY_SECTIONS}


def _build_policy(raw: _Raw, problems: list[str]) -> PolicyFile | None:
    builtin = builtin_policy().model_dump()
    user = raw.sections.get("policy", {})
    if not isinstance(user, dict):
        problems.append(f"{raw.files.get('policy', 'policy.yaml')}: policy: must be a mapping")
        return None
    return _build(PolicyFile, {**builtin, **user}, raw, problems, "policy.yaml", "policy")


def _build(
    model: type[M],
    data: Any,
    raw: _Raw,
    problems: list[str],
    default_file: str,
    prefix: str | None = None,
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for loc, message in _errors(exc):
            section = prefix or (str(loc[0]) if loc else "")
            filename = raw.files.get(prefix or section, default_file)
            where = ".".join(str(p) for p in loc)
            component = f"{prefix}: " if prefix else ""
            problems.append(f"{filename}: {component}{where + ': ' if where else ''}{message}")
        return None


def _build_items(
    raw: _Raw, section: str, problems: list[str], models: Mapping[str, type[BaseModel]]
) -> list[tuple[str, dict[str, Any], Any]]:
    """Each item as (file, raw mapping, model or None when it failed validation)."""
    built: list[tuple[str, dict[str, Any], Any]] = []
    label = LIST_SECTIONS[section]
    for index, (filename, item) in enumerate(raw.items.get(section, [])):
        component = _component(label, item, index)
        if not isinstance(item, dict):
            problems.append(f"{filename}: {component}: must be a mapping")
            continue
        model = models.get("") or models.get(str(item.get("type")))
        if model is None:
            problems.append(f"{filename}: {component}: {_unknown_type(item, models)}")
            built.append((filename, item, None))
            continue
        try:
            built.append((filename, item, model.model_validate(item)))
        except ValidationError as exc:
            built.append((filename, item, None))
            for loc, message in _errors(exc):
                where = ".".join(str(p) for p in loc)
                problems.append(
                    f"{filename}: {component}: {where + ': ' if where else ''}{message}"
                )
    return built


def _plan_problems(plans: list[tuple[str, dict[str, Any], Any]]) -> Iterator[str]:
    """Each plan's own sentences (its JSON Schemas), and names used twice."""
    seen: set[str] = set()
    for index, (filename, item, plan) in enumerate(plans):
        name = item.get("name")
        where = f"{filename}: {_component('plan', item, index)}"
        if isinstance(name, str) and name in seen:
            yield f"{where}: name is already used by another plan"
        seen.add(str(name))
        if isinstance(plan, PlanConfig):
            yield from (f"{where}: {problem}" for problem in plan.problems())


def _unknown_type(item: dict[str, Any], models: Mapping[str, type[BaseModel]]) -> str:
    known = ", ".join(sorted(models))
    if "type" not in item:
        return f'missing required key "type" (one of: {known})'
    return f'type "{item["type"]}" is not a destination type (known types: {known})'


def _component(label: str, item: Any, index: int) -> str:
    key = "id" if label == "source" else "name"
    if isinstance(item, dict) and isinstance(item.get(key), str):
        return f'{label} "{item[key]}"'
    return f"{label} #{index + 1}"


def _errors(exc: ValidationError) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Pydantic errors as (location, sentence); never includes the offending input value."""
    for error in exc.errors(include_url=False, include_input=False):
        loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
        kind = error["type"]
        if kind == "extra_forbidden":
            yield loc[:-1], f'unknown key "{loc[-1]}"'
        elif kind == "missing":
            yield loc[:-1], f'missing required key "{loc[-1]}"'
        else:
            yield loc, _sentence(error["msg"])


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in ("sqlite", "redis") or part.startswith("literal["))


def _sentence(message: str) -> str:
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]
