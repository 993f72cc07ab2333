"""Opens the configured backend."""

from __future__ import annotations

from gateway.config.loader import Config
from gateway.store.types import Store


async def open_store(config: Config) -> Store:
    storage = config.gateway.storage
    if storage.backend == "redis":
        from gateway.store.redis import RedisStore

        store: Store = await RedisStore.connect(storage)
        return store
    from gateway.store.sqlite import SqliteStore

    return SqliteStore(storage.path)
