"""Forward migrations of the Redis keys, recorded in `{P}:schema` (absent: release 0.1.0,
which recorded none).

On connect, a node takes the lock `{P}:migrating` (SET NX with an expiry it keeps renewing
while it works), re-reads the version and runs what is still pending; nodes starting at
the same time wait for it and then find nothing left to do. Redis has no transaction that
spans a scan of the keyspace, so each migration must be idempotent and resumable: a node
killed halfway leaves the version where it was, its lock expires, and the next start runs
the same migration again over keys that are partly done already."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from gateway.errors import StoreUnavailable
from gateway.store.versions import Migration, latest, pending

if TYPE_CHECKING:
    from gateway.store.redis.store import RedisStore

RedisMigration = Migration[Callable[["RedisStore"], Awaitable[None]]]
LOCK_SECONDS = 10.0
WAIT_SECONDS = 600.0

# The version only moves forward: a node whose lock expired mid-migration (another took
# over and went further) must not set it back.
RAISE_VERSION = """
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return redis.call('GET', KEYS[1])
"""

# Extends the lock only if this node still holds it.
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# Deletes the lock only if this node still holds it (its expiry may have handed it on).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


async def _adopt_010(store: RedisStore) -> None:
    """The 0.1.0 layout is version 1 as it is: nothing to rewrite."""


MIGRATIONS: tuple[RedisMigration, ...] = (
    Migration(1, "adopt the 0.1.0 key layout as version 1 (nothing to rewrite)", _adopt_010),
)


def describe(store: RedisStore) -> str:
    return f'the Redis store (prefix "{store.prefix}")'


async def version(store: RedisStore) -> int:
    raw = await store.call(store.client.get(store.key("schema")))
    return int(raw) if raw else 0


async def plan(
    store: RedisStore, migrations: Sequence[RedisMigration] = MIGRATIONS
) -> list[RedisMigration]:
    """What `upgrade` would run; raises StoreTooNew for a store newer than the code."""
    return pending(describe(store), await version(store), migrations)


async def upgrade(
    store: RedisStore,
    migrations: Sequence[RedisMigration] = MIGRATIONS,
    *,
    lock_seconds: float = LOCK_SECONDS,
    wait_seconds: float = WAIT_SECONDS,
) -> list[RedisMigration]:
    """Run the pending migrations under the lock; returns those this call ran. The lock
    is renewed while this node migrates and expires `lock_seconds` after it dies."""
    if not await plan(store, migrations):
        return []
    lock, token = store.key("migrating"), uuid.uuid4().hex
    await _acquire(store, lock, token, lock_seconds, wait_seconds)
    keeper = asyncio.create_task(_keep(store, lock, token, lock_seconds))
    ran: list[RedisMigration] = []
    try:
        for migration in await plan(store, migrations):  # another node may have run some
            await migration.apply(store)
            schema = store.key("schema")
            await store.call(store.client.eval(RAISE_VERSION, 1, schema, migration.version))
            ran.append(migration)
    finally:
        keeper.cancel()
        await store.call(store.client.eval(RELEASE, 1, lock, token))
    if await version(store) != latest(migrations):
        raise StoreUnavailable("the Redis store's schema version moved during the migration")
    return ran


async def _acquire(
    store: RedisStore, lock: str, token: str, lock_seconds: float, wait_seconds: float
) -> None:
    """Wait while another node migrates (it renews its lock; if it dies, the lock expires)."""
    deadline = time.monotonic() + wait_seconds
    expiry = int(lock_seconds * 1000)
    while not await store.call(store.client.set(lock, token, nx=True, px=expiry)):
        if time.monotonic() > deadline:
            raise StoreUnavailable(
                f"another node has been migrating {describe(store)} for over "
                f"{wait_seconds:.0f} s; start this one again once it is done"
            )
        await asyncio.sleep(0.1)


async def _keep(store: RedisStore, lock: str, token: str, lock_seconds: float) -> None:
    expiry = int(lock_seconds * 1000)
    while True:
        await asyncio.sleep(lock_seconds / 3)
        with contextlib.suppress(StoreUnavailable):  # the next round tries again
            await store.call(store.client.eval(RENEW, 1, lock, token, expiry))
