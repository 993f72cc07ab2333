"""The Redis backend, for several gateway nodes and independent delivery workers."""

from gateway.store.redis.store import RedisStore

__all__ = ["RedisStore"]
