"""`gateway migrate`: what the configured store's pending migrations are, and running them
(the gateway and the worker also run them on start)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gateway.config.loader import Config
from gateway.store.sqlite import migrations as sqlite_migrations
from gateway.store.sqlite.preferences import preferences_path
from gateway.store.versions import Migration, latest


def _lines(what: str, found: int, steps: Sequence[Migration[Any]], known: int) -> list[str]:
    head = f"{what}: schema version {found}, this gateway's is {known}"
    if not steps:
        return [head + "; nothing to migrate"]
    return [head] + [f"  {m.version}: {m.summary}" for m in steps]


async def plan(config: Config) -> list[str]:
    """One line per store file, then one per pending migration. Changes nothing; raises
    StoreTooNew for a store newer than this code."""
    storage = config.gateway.storage
    if storage.backend == "redis":
        from gateway.store.redis import RedisStore
        from gateway.store.redis import migrations as redis_migrations

        store = await RedisStore.connect(storage, migrate=False)
        try:
            steps = await redis_migrations.plan(store)
            found = await redis_migrations.version(store)
            known = latest(redis_migrations.MIGRATIONS)
            return _lines(redis_migrations.describe(store), found, steps, known)
        finally:
            await store.aclose()
    lines: list[str] = []
    main = Path(storage.path)
    for path, chain in (
        (main, sqlite_migrations.MAIN),
        (preferences_path(main), sqlite_migrations.PREFERENCES),
    ):
        found = sqlite_migrations.version(path)
        lines += _lines(str(path), found, sqlite_migrations.plan(path, chain), latest(chain))
    return lines


async def run(config: Config) -> None:
    """Opening the store migrates it."""
    from gateway.store.factory import open_store

    store = await open_store(config)
    await store.aclose()
