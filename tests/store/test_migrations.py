"""The migration mechanism on both backends, from the 0.1.0 fixtures: a store newer than the
code is refused, several nodes starting at once migrate once, a migration killed halfway
(kill -9) finishes on the next start, and `gateway migrate` / `--check`."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis

from gateway.cli import main
from gateway.config.schema import RedisStorage
from gateway.store.redis import RedisStore
from gateway.store.redis import migrations as redis_migrations
from gateway.store.sqlite import SqliteStore
from gateway.store.sqlite import migrations as sqlite_migrations
from gateway.store.versions import Migration, StoreTooNew
from tests.privacy.stack import KEY_ENV, KEY_VALUE
from tests.store import migration_steps
from tests.store.test_upgrade import manifest, redis_from_dump, sqlite_copy
from tests.support.configs import write_config
from tests.support.processes import GatewayProcess
from tests.support.redis_server import RedisServer

ROOT = Path(__file__).parents[2]
PREFIX = "gw010"


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def set_user_version(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


@pytest.fixture
def dump_server(tmp_path: Path) -> Any:
    server = redis_from_dump(tmp_path / "redis")
    yield server
    server.stop()


@pytest.fixture
async def redis_010(dump_server: RedisServer) -> AsyncIterator[RedisStore]:
    """A client on the 0.1.0 dump, not migrated yet."""
    storage = RedisStorage(backend="redis", url=dump_server.url, key_prefix=PREFIX)
    store = await RedisStore.connect(storage, migrate=False)
    yield store
    await store.aclose()


def redis_storage(server: RedisServer) -> RedisStorage:
    return RedisStorage(backend="redis", url=server.url, key_prefix=PREFIX)


# ------------------------------------------------------------------ newer than the code
def test_sqlite_newer_than_the_code_is_refused_naming_both_versions(tmp_path: Path) -> None:
    path = sqlite_copy(tmp_path)
    set_user_version(path, 7)
    with pytest.raises(StoreTooNew) as refused:
        SqliteStore(path)
    assert str(refused.value) == (
        "gateway.db is at store schema version 7, but this gateway knows versions up to 1: "
        "run the release that wrote it, or restore the backup taken before it ran"
    )
    assert user_version(path) == 7


def test_sqlite_preferences_file_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = sqlite_copy(tmp_path)
    set_user_version(path.with_name("gateway.prefs.db"), 3)
    with pytest.raises(StoreTooNew, match=r"gateway\.prefs\.db is at store schema version 3"):
        SqliteStore(path)


async def test_redis_newer_than_the_code_is_refused_naming_both_versions(
    dump_server: RedisServer,
) -> None:
    client = redis.Redis(port=dump_server.port)
    client.set("{gw010}:schema", 4)
    client.close()
    with pytest.raises(StoreTooNew) as refused:
        await RedisStore.connect(redis_storage(dump_server))
    assert 'Redis store (prefix "gw010") is at store schema version 4' in str(refused.value)
    assert "knows versions up to 1" in str(refused.value)


def test_serve_refuses_to_start_on_a_newer_store(tmp_path: Path) -> None:
    config_dir = write_config(tmp_path / "config")
    sqlite_migrations.upgrade(config_dir / "gateway.db", sqlite_migrations.MAIN)
    set_user_version(config_dir / "gateway.db", 2)
    process = GatewayProcess(config_dir)
    with pytest.raises(RuntimeError, match="exited early"):
        process.start()
    assert "is at store schema version 2, but this gateway knows versions up to 1" in (
        process.log()
    )


# --------------------------------------------------------------- several nodes at once
def test_sqlite_nodes_starting_at_once_migrate_once(tmp_path: Path) -> None:
    path = sqlite_copy(tmp_path)

    def count_run(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS runs (at REAL)")
        conn.execute("INSERT INTO runs VALUES (?)", (time.time(),))
        time.sleep(0.2)  # long enough for the others to arrive meanwhile

    chain = (*sqlite_migrations.MAIN, Migration(2, "count", count_run))
    ran: list[int] = []
    start = threading.Barrier(4)

    def node() -> None:
        start.wait()
        ran.extend(m.version for m in sqlite_migrations.upgrade(path, chain))

    threads = [threading.Thread(target=node) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ran) == [1, 2]
    assert user_version(path) == 2
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    conn.close()


async def test_redis_nodes_starting_at_once_migrate_once(dump_server: RedisServer) -> None:
    async def count_run(store: RedisStore) -> None:
        await store.client.incr(store.key("test", "runs"))
        await asyncio.sleep(0.3)

    chain = (*redis_migrations.MIGRATIONS, Migration(2, "count", count_run))
    nodes = [await RedisStore.connect(redis_storage(dump_server), migrate=False) for _ in range(4)]
    try:
        ran = await asyncio.gather(*(redis_migrations.upgrade(n, chain) for n in nodes))
        assert sorted(m.version for r in ran for m in r) == [1, 2]
        assert await redis_migrations.version(nodes[0]) == 2
        assert int(await nodes[0].client.get("{gw010}:test:runs")) == 1
        assert await nodes[0].client.exists("{gw010}:migrating") == 0
    finally:
        for node in nodes:
            await node.aclose()


async def test_redis_lock_outlives_its_expiry_while_its_holder_works(
    dump_server: RedisServer,
) -> None:
    """A migration longer than the lock's expiry: the holder keeps renewing it, so a node
    arriving meanwhile waits instead of running the same migration alongside."""

    async def slow_count(store: RedisStore) -> None:
        await store.client.incr(store.key("test", "runs"))
        await asyncio.sleep(1.5)

    chain = (*redis_migrations.MIGRATIONS, Migration(2, "slow", slow_count))
    first, second = [
        await RedisStore.connect(redis_storage(dump_server), migrate=False) for _ in range(2)
    ]
    try:
        holder = asyncio.create_task(redis_migrations.upgrade(first, chain, lock_seconds=0.3))
        await asyncio.sleep(0.6)  # two expiries later, the holder still works
        late = await redis_migrations.upgrade(second, chain, lock_seconds=0.3)
        assert [m.version for m in await holder] == [1, 2]
        assert late == []
        assert int(await first.client.get("{gw010}:test:runs")) == 1
    finally:
        await first.aclose()
        await second.aclose()


# ------------------------------------------------------------- killed halfway (kill -9)
def killed_halfway(argv: list[str], halfway: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.store.migration_steps", *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 30
    while not halfway.exists():
        assert process.poll() is None, "the migrating process ended before halfway"
        assert time.monotonic() < deadline, "the migration never got halfway"
        time.sleep(0.02)
    process.kill()
    process.wait(10)


def test_sqlite_migration_killed_halfway_finishes_on_the_next_start(tmp_path: Path) -> None:
    path = sqlite_copy(tmp_path)
    halfway = tmp_path / "halfway"
    killed_halfway(["sqlite", str(path), str(halfway)], halfway)

    assert user_version(path) == 1  # migration 1 committed, 2 rolled back whole
    conn = sqlite3.connect(path)
    assert (
        conn.execute("SELECT name FROM sqlite_master WHERE name = 'ledger_copy'").fetchall() == []
    )
    conn.close()

    ran = sqlite_migrations.upgrade(path, migration_steps.sqlite_chain())
    assert [m.version for m in ran] == [2]
    conn = sqlite3.connect(path)
    ledger = conn.execute("SELECT * FROM ledger ORDER BY id").fetchall()
    assert conn.execute("SELECT * FROM ledger_copy ORDER BY id").fetchall() == ledger
    assert len(ledger) == 21
    conn.close()


async def test_redis_migration_killed_halfway_finishes_on_the_next_start(
    tmp_path: Path, dump_server: RedisServer, redis_010: RedisStore
) -> None:
    halfway = tmp_path / "halfway"
    killed_halfway(["redis", dump_server.url, PREFIX, str(halfway)], halfway)

    client = redis_010.client
    records = await client.hlen("{gw010}:ledger:rec")
    assert await redis_migrations.version(redis_010) == 1
    assert 0 < await client.scard("{gw010}:test:done") < records
    assert await client.exists("{gw010}:migrating") == 1  # the dead node's lock, expiring

    chain = migration_steps.redis_chain()
    ran = await redis_migrations.upgrade(redis_010, chain, lock_seconds=1.0)
    assert [m.version for m in ran] == [2]
    assert await redis_migrations.version(redis_010) == 2
    copies = await client.hgetall("{gw010}:test:copies")
    assert len(copies) == records == 21
    assert set(copies.values()) == {b"1"}  # resumed, not redone


# ------------------------------------------------------------------ gateway migrate
def test_migrate_check_lists_then_migrate_runs_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sqlite_copy(tmp_path / "data")
    config_dir = write_config(
        tmp_path / "config", gateway={"storage": {"backend": "sqlite", "path": str(path)}}
    )
    args = ["migrate", "--config", str(config_dir)]
    assert main([*args, "--check"]) == 1
    listed = capsys.readouterr().out
    assert f"{path}: schema version 0, this gateway's is 1" in listed
    assert "  1: create the 0.1.0 tables if missing; stamp version 1" in listed
    assert user_version(path) == 0  # --check changes nothing

    assert main(args) == 0
    assert "nothing to migrate" in capsys.readouterr().out
    assert user_version(path) == user_version(path.with_name("gateway.prefs.db")) == 1
    assert main([*args, "--check"]) == 0


def test_migrate_check_on_redis_and_a_refusal(
    tmp_path: Path,
    dump_server: RedisServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    storage = {"backend": "redis", "url": dump_server.url, "key_prefix": PREFIX}
    config_dir = write_config(
        tmp_path / "config", gateway={"storage": storage, "secrets": {"key_env": KEY_ENV}}
    )
    monkeypatch.setenv(KEY_ENV, KEY_VALUE)
    args = ["migrate", "--config", str(config_dir)]
    assert main([*args, "--check"]) == 1
    assert "  1: adopt the 0.1.0 key layout" in capsys.readouterr().out
    assert main(args) == 0
    assert main([*args, "--check"]) == 0
    client = redis.Redis(port=dump_server.port)
    assert client.get("{gw010}:schema") == b"1"
    client.set("{gw010}:schema", 9)
    client.close()
    assert main([*args, "--check"]) == 2
    assert "version 9, but this gateway knows versions up to 1" in capsys.readouterr().err


def test_the_fixtures_are_what_0_1_0_wrote() -> None:
    """Unversioned, as 0.1.0 left them, and holding what the manifest says happened: the
    upgrade tests start from the real thing."""
    facts = manifest("sqlite")
    path = Path(__file__).parent / "fixtures" / "sqlite-0.1.0.gateway.db"
    assert user_version(path) == user_version(path.with_name("sqlite-0.1.0.gateway.prefs.db")) == 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    pending = {row[0] for row in conn.execute("SELECT message_id FROM outbox")}
    dead = [row[0] for row in conn.execute("SELECT message_id FROM dead_letter ORDER BY id")]
    conn.close()
    untried = facts["pending"]["untried"]["message_ids"]
    assert pending == {facts["pending"]["retrying"]["message_id"], *untried}
    assert sorted(dead) == sorted(facts["dead"]["message_ids"])


def test_a_migrated_0_1_0_file_has_exactly_the_schema_of_a_new_one(tmp_path: Path) -> None:
    """Guards the rule that a released migration never changes: editing one (say, a column
    added to MAIN_V1) would give new stores a layout that upgraded ones never get."""
    upgraded = sqlite_copy(tmp_path / "upgraded")
    fresh = tmp_path / "fresh" / "gateway.db"
    fresh.parent.mkdir()
    for path in (upgraded, fresh):
        sqlite_migrations.upgrade(path, sqlite_migrations.MAIN)
        sqlite_migrations.upgrade(path.with_name("gateway.prefs.db"), sqlite_migrations.PREFERENCES)

    def schema(path: Path) -> list[Any]:
        conn = sqlite3.connect(path)
        try:
            return conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
            ).fetchall()
        finally:
            conn.close()

    for name in ("gateway.db", "gateway.prefs.db"):
        assert schema(upgraded.with_name(name)) == schema(fresh.with_name(name))
        assert len(schema(fresh.with_name(name))) > 2
