"""The embedded backend: SQLite files in WAL mode, one writer thread each."""

from gateway.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
