"""Migrations that exist only for the tests: each rewrites every ledger record one by one,
and can stop halfway (touching a file, then sleeping) so a test can kill its process there.

Run as a script it migrates a store with them, as a node starting up would:
    python -m tests.store.migration_steps sqlite <database> <halfway file>
    python -m tests.store.migration_steps redis <url> <prefix> <halfway file>"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from pathlib import Path

from gateway.config.schema import RedisStorage
from gateway.store.redis import RedisStore
from gateway.store.redis import migrations as redis_migrations
from gateway.store.sqlite import migrations as sqlite_migrations
from gateway.store.versions import Migration

LOCK_SECONDS = 1.0


def _pause(halfway: Path | None, done: int, total: int) -> None:
    if halfway is not None and done == total // 2:
        halfway.touch()
        time.sleep(60)


def sqlite_chain(halfway: Path | None = None) -> tuple[sqlite_migrations.SqliteMigration, ...]:
    def copy_ledger(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE ledger_copy AS SELECT * FROM ledger WHERE 0")
        ids = [row[0] for row in conn.execute("SELECT id FROM ledger ORDER BY id")]
        for done, ledger_id in enumerate(ids):
            _pause(halfway, done, len(ids))
            conn.execute("INSERT INTO ledger_copy SELECT * FROM ledger WHERE id = ?", (ledger_id,))

    return (*sqlite_migrations.MAIN, Migration(2, "copy the ledger, row by row", copy_ledger))


def redis_chain(halfway: Path | None = None) -> tuple[redis_migrations.RedisMigration, ...]:
    async def count_records(store: RedisStore) -> None:
        """Resumable: a record already counted (in `done`) is skipped on the next run."""
        ids = sorted(await store.client.hkeys(store.key("ledger", "rec")))
        for done, record_id in enumerate(ids):
            if await store.client.sismember(store.key("test", "done"), record_id):
                continue
            _pause(halfway, done, len(ids))
            async with store.client.pipeline(transaction=True) as pipe:
                pipe.hincrby(store.key("test", "copies"), record_id, 1)
                pipe.sadd(store.key("test", "done"), record_id)
                await pipe.execute()

    return (*redis_migrations.MIGRATIONS, Migration(2, "count each record", count_records))


async def redis_upgrade(url: str, prefix: str, halfway: Path | None) -> None:
    storage = RedisStorage(backend="redis", url=url, key_prefix=prefix)
    store = await RedisStore.connect(storage, migrate=False)
    try:
        chain = redis_chain(halfway)
        await redis_migrations.upgrade(store, chain, lock_seconds=LOCK_SECONDS)
    finally:
        await store.aclose()


if __name__ == "__main__":
    if sys.argv[1] == "sqlite":
        sqlite_migrations.upgrade(Path(sys.argv[2]), sqlite_chain(Path(sys.argv[3])))
    else:
        asyncio.run(redis_upgrade(sys.argv[2], sys.argv[3], Path(sys.argv[4])))
