"""Checks that span files or need the environment; each problem is one sentence."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from gateway.config.addresses import address_problem
from gateway.config.defaults import FORBIDDEN_PATHS
from gateway.config.patterns import covers, pattern_problem

if TYPE_CHECKING:
    from gateway.config.loader import Config
    from gateway.config.schema import RedisStorage

# Top-level Segment Spec fields, and those that hold a scalar (nothing can be under them).
EVENT_FIELDS = frozenset(
    {"type", "messageId", "anonymousId", "userId", "event", "name", "category", "properties",
     "traits", "timestamp", "sentAt", "receivedAt", "originalTimestamp", "context",
     "groupId", "previousId", "integrations", "channel", "version"}
)  # fmt: skip
SCALAR_FIELDS = frozenset(
    {"type", "messageId", "anonymousId", "userId", "event", "name", "category", "timestamp",
     "sentAt", "receivedAt", "originalTimestamp", "groupId", "previousId", "channel", "version"}
)  # fmt: skip


class View:
    """Typed read access to a raw config item, so cross-file checks also run on items that
    failed their own validation (one pass reports every problem)."""

    def __init__(self, item: dict[str, Any]) -> None:
        self._item = item

    def text(self, key: str) -> str | None:
        value = self._item.get(key)
        return value if isinstance(value, str) else None

    def texts(self, key: str) -> list[str]:
        value = self._item.get(key)
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def mapping(self, key: str) -> dict[str, Any]:
        value = self._item.get(key)
        return value if isinstance(value, dict) else {}

    def flag(self, key: str) -> bool:
        return self._item.get(key) is True


def cross_check(
    config: Config,
    sources: list[tuple[str, View]],
    destinations: list[tuple[str, View]],
    plan_names: Collection[str] = (),
) -> list[str]:
    problems: list[str] = []
    problems += list(_sources(config, sources))
    problems += list(_plan_references(sources, plan_names))
    problems += list(_destinations(config, sources, destinations))
    problems += list(_policy(config))
    problems += list(_gateway(config))
    return problems


def _sources(config: Config, sources: list[tuple[str, View]]) -> Iterator[str]:
    seen_keys: dict[str, str] = {}
    seen_ids: set[str] = set()
    forbidden = set(config.policy.forbidden_categories)
    for index, (filename, source) in enumerate(sources):
        source_id = source.text("id") or f"#{index + 1}"
        where = f'{filename}: source "{source_id}"'
        if source_id in seen_ids:
            yield f"{where}: id is already used by another source"
        seen_ids.add(source_id)
        key = source.text("write_key")
        if key is not None and key in seen_keys:
            yield f'{where}: write key is already used by source "{seen_keys[key]}"'
        if key is not None:
            seen_keys.setdefault(key, source_id)
        for category in source.texts("allow_categories"):
            if category not in forbidden:
                yield (
                    f'{where}: allow_categories entry "{category}" is not a forbidden category '
                    f"(categories: {', '.join(sorted(forbidden))})"
                )
        kind = source.text("kind")
        if kind not in (None, "web") and source.texts("allowed_origins"):
            yield f"{where}: allowed_origins only applies to web sources (kind is {kind})"


def _plan_references(sources: list[tuple[str, View]], names: Collection[str]) -> Iterator[str]:
    for index, (filename, source) in enumerate(sources):
        plan = source.text("tracking_plan")
        if plan is not None and plan not in names:
            known = ", ".join(sorted(names)) or "none is defined"
            where = f'{filename}: source "{source.text("id") or f"#{index + 1}"}"'
            yield f'{where}: tracking_plan "{plan}" is not a plan (plans: {known})'


def _destinations(
    config: Config, sources: list[tuple[str, View]], destinations: list[tuple[str, View]]
) -> Iterator[str]:
    seen: set[str] = set()
    categories = {c for _, s in sources for c in s.texts("allow_categories")}
    for index, (filename, destination) in enumerate(destinations):
        name = destination.text("name") or f"#{index + 1}"
        where = f'{filename}: destination "{name}"'
        if name in seen:
            yield f"{where}: name is already used by another destination"
        seen.add(name)
        for problem in _destination(config, destination, categories):
            yield f"{where}: {problem}"


def _destination(config: Config, destination: View, categories: set[str]) -> Iterator[str]:
    transfers = config.policy.transfers
    country = destination.text("country")
    if country and country not in (transfers.home_country, *transfers.allowed_countries):
        allowed = ", ".join(transfers.allowed_countries)
        yield f'country "{country}" is not an allowed transfer country (allowed: {allowed})'
    declared = config.policy.purposes
    for purpose in destination.texts("purposes"):
        if purpose not in declared and purpose not in categories:
            yield (
                f'purpose "{purpose}" is not declared in policy (declared: {", ".join(declared)})'
            )
    fields = destination.texts("fields")
    for pattern in fields:
        problem = fields_pattern_problem(pattern, categories)
        if problem:
            yield f'fields pattern "{pattern}" {problem}'
    yield from _transforms(fields, destination.mapping("transforms"))
    secret_env = destination.text("secret_env")
    if secret_env and not os.environ.get(secret_env):
        yield f'secret_env "{secret_env}" is not set in the environment'
    yield from _endpoint(destination)


def fields_pattern_problem(pattern: str, allowed_categories: set[str]) -> str | None:
    """Why a `fields` pattern can never match an event, or None."""
    problem = pattern_problem(pattern)
    if problem:
        return f"cannot match anything: it {problem}"
    segments = pattern.split(".")
    root = segments[0]
    if root not in ("*", "**") and root not in EVENT_FIELDS:
        return (
            f'cannot match anything: "{root}" is not a top-level event field '
            f"(fields: {', '.join(sorted(EVENT_FIELDS))})"
        )
    if root in SCALAR_FIELDS and len(segments) > 1:
        return f'cannot match anything: "{root}" is a single value, nothing is under it'
    for path, category in FORBIDDEN_PATHS.items():
        if (
            segments[: path.count(".") + 1] == path.split(".")
            and category not in allowed_categories
        ):
            return (
                f"cannot match anything: {path} is always removed by the policy "
                f"(forbidden category {category}, allowed by no source)"
            )
    return None


def _transforms(fields: list[str], transforms: dict[str, Any]) -> Iterator[str]:
    patterns = [p.split(".") for p in fields if not pattern_problem(p)]
    for path in transforms:
        if pattern_problem(path) or "*" in path:
            yield f'transform path "{path}" must be a plain dotted path without wildcards'
        elif not any(covers(pattern, path.split(".")) for pattern in patterns):
            yield f'transform path "{path}" is not among the fields this destination receives'


def _endpoint(destination: View) -> Iterator[str]:
    url = destination.text("url")
    if url is None or destination.flag("allow_private_network"):
        return
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        return
    problem = address_problem(host) if host else None
    if problem:
        yield (
            f'url host "{host}" is {problem}; set allow_private_network: true to allow it '
            "(for loopback or test receivers only)"
        )


def _policy(config: Config) -> Iterator[str]:
    policy = config.policy
    filename = config.origin_files.get("policy", "policy.yaml")
    declared = set(policy.purposes)
    for jurisdiction in policy.jurisdictions:
        for purpose in jurisdiction.opt_in:
            if purpose not in declared:
                yield (
                    f'{filename}: jurisdiction "{jurisdiction.name}": opt_in purpose "{purpose}" '
                    "is not declared in policy"
                )
    names = {j.name for j in policy.jurisdictions}
    if policy.unknown_country not in ("home", *names):
        yield (
            f'{filename}: policy: unknown_country "{policy.unknown_country}" must be "home" '
            "or a jurisdiction name"
        )
    for category, purpose in policy.cmp_categories.items():
        if purpose not in declared:
            yield (
                f'{filename}: policy: cmp_categories "{category}" maps to undeclared '
                f'purpose "{purpose}"'
            )
    for purpose in policy.tcf.purposes:
        if purpose not in declared:
            yield f'{filename}: policy: tcf.purposes names undeclared purpose "{purpose}"'
    if policy.transfers.home_country in policy.transfers.allowed_countries:
        yield f"{filename}: policy: transfers.allowed_countries lists the home country"


def _gateway(config: Config) -> Iterator[str]:
    gateway = config.gateway
    filename = config.origin_files.get("geo", "gateway.yaml")
    database = gateway.geo.database
    if database and not os.path.exists(database):
        yield f'{filename}: geo: database "{database}" does not exist'
    elif database:
        problem = _geo_problem(database)
        if problem:
            yield f'{filename}: geo: database "{database}" {problem}'
    key_env = gateway.secrets.key_env
    secrets_file = config.origin_files.get("secrets", "gateway.yaml")
    if key_env and key_env not in os.environ:
        yield f'{secrets_file}: secrets: key_env "{key_env}" is not set in the environment'
    elif key_env and len(os.environ[key_env]) < MIN_KEY_LENGTH:
        yield (
            f'{secrets_file}: secrets: key_env "{key_env}" holds {len(os.environ[key_env])} '
            f"characters; use at least {MIN_KEY_LENGTH} random ones (tokens are signed with it)"
        )
    if gateway.storage.backend == "sqlite":
        problem = _directory_problem(Path(gateway.storage.path).parent)
        if problem:
            storage_file = config.origin_files.get("storage", "gateway.yaml")
            yield f'{storage_file}: storage: path "{gateway.storage.path}": {problem}'
    if gateway.storage.backend == "redis" and not key_env:
        yield (
            f"{secrets_file}: secrets: key_env is required with the redis backend "
            "(every node must share the gateway key)"
        )
    storage = gateway.storage
    if storage.backend == "redis":
        yield from _redis_storage(storage, config.origin_files.get("storage", "gateway.yaml"))
    if storage.backend == "redis" and storage.cluster:
        database = storage.database()
        if database != "0":
            storage_file = config.origin_files.get("storage", "gateway.yaml")
            yield (
                f'{storage_file}: storage: url selects database "{database}", but Redis Cluster '
                "has only database 0"
            )
    names = [t.name for t in gateway.admin.tokens]
    for name in {n for n in names if names.count(n) > 1}:
        filename = config.origin_files.get("admin", "gateway.yaml")
        yield f'{filename}: admin: token name "{name}" is used twice'


MIN_KEY_LENGTH = 32


def _redis_storage(storage: RedisStorage, filename: str) -> Iterator[str]:
    if storage.url is None and storage.sentinel is None:
        yield f"{filename}: storage: the redis backend needs url or sentinel (one of them)"
    if storage.url is not None and storage.sentinel is not None:
        yield (
            f"{filename}: storage: url and sentinel are alternatives; give one "
            "(with sentinel, the sentinels name the master)"
        )
    sentinel = storage.sentinel
    if sentinel is not None and storage.cluster:
        yield (
            f"{filename}: storage: sentinel and cluster: true cannot be combined "
            "(Redis Cluster promotes its replicas itself; give a node's url)"
        )
    if sentinel is not None:
        for field in ("username_env", "password_env", "sentinel_password_env"):
            name = getattr(sentinel, field)
            if name and name not in os.environ:
                yield (
                    f'{filename}: storage: sentinel.{field} "{name}" is not set in the environment'
                )


def _geo_problem(database: str) -> str | None:
    from gateway.enrich.geo import MaxMindGeo
    from gateway.errors import GeoDatabaseError

    try:
        MaxMindGeo(Path(database)).close()
    except GeoDatabaseError:
        return "cannot be opened as a MaxMind database"
    return None


def _directory_problem(directory: Path) -> str | None:
    """Why the SQLite file's directory cannot be created or written, or None."""
    existing = directory
    while not existing.exists():
        if existing.parent == existing:
            return "no part of its directory exists"
        existing = existing.parent
    if not existing.is_dir():
        return f'"{existing}" is not a directory'
    if not os.access(existing, os.W_OK | os.X_OK):
        return f'the directory "{existing}" is not writable'
    return None
