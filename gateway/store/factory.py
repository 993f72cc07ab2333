"""Opens the configured backend."""

from __future__ import annotations

from gateway.config.loader import Config
from gateway.store.types import ReplicationObserver, Store


async def open_store(config: Config, observer: ReplicationObserver | None = None) -> Store:
    """`observer` hears of replica acknowledgements and failovers (Redis only)."""
    storage = config.gateway.storage
    if storage.backend == "redis":
        from gateway.store.redis import RedisStore

        store: Store = await RedisStore.connect(storage, observer=observer)
        return store
    from gateway.store.sqlite import SqliteStore

    return SqliteStore(storage.path)
