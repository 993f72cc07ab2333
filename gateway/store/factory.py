"""Opens the configured backend."""

from __future__ import annotations

from gateway.config.loader import Config
from gateway.observability.debugger import DebugBuffer, Debugger
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


def open_debugger(store: Store) -> Debugger:
    """The live debugger's buffer: under Redis one stream shared by the nodes, else this
    process's memory (SQLite is one node)."""
    from gateway.store.redis import RedisStore

    if isinstance(store, RedisStore):
        from gateway.store.redis.debugger import RedisDebugBuffer

        return RedisDebugBuffer(store)
    return DebugBuffer()
