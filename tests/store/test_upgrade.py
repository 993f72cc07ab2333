"""Upgrading from release 0.1.0: a real gateway of today opens the stores that 0.1.0 wrote
(tests/store/fixtures, made by make_v010.py running that release), migrates them on start,
and carries on with everything they held."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from gateway.cli import main
from tests.privacy.stack import KEY_ENV, KEY_VALUE, Stack, write_privacy_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver
from tests.support.redis_server import RedisServer

FIXTURES = Path(__file__).parent / "fixtures"
DESTINATIONS = ("stats", "stats2", "ads")


def manifest(backend: str) -> dict[str, Any]:
    facts: dict[str, Any] = json.loads((FIXTURES / f"{backend}-0.1.0.manifest.json").read_text())
    assert facts["key_env_value"] == KEY_VALUE  # subject keys derive from it
    return facts


def sqlite_copy(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("gateway.db", "gateway.prefs.db"):
        shutil.copy(FIXTURES / f"sqlite-0.1.0.{name}", directory / name)
    return directory / "gateway.db"


def redis_from_dump(directory: Path) -> RedisServer:
    """A redis-server that starts from the 0.1.0 RDB (with the AOF on, as the test servers
    have it, Redis would start from the empty AOF instead)."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "redis-0.1.0.rdb", directory / "dump.rdb")
    return RedisServer(directory, extra=("--appendonly", "no")).start()


@pytest.fixture(params=["sqlite", "redis"])
def upgraded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Stack, str]]:
    """A current gateway started on a copy of the 0.1.0 store of each backend."""
    backend = str(request.param)
    server = redis_from_dump(tmp_path / "redis") if backend == "redis" else None
    receivers = {name: Receiver() for name in DESTINATIONS}
    config_dir = write_privacy_config(tmp_path / "config", receivers)
    path = config_dir / "gateway.yaml"
    settings = yaml.safe_load(path.read_text())
    if server is not None:
        prefix = manifest("redis")["redis_prefix"]
        settings["storage"] = {"backend": "redis", "url": server.url, "key_prefix": prefix}
    else:
        settings["storage"] = {"backend": "sqlite", "path": str(sqlite_copy(tmp_path / "data"))}
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    stack = Stack(GatewayProcess(config_dir, env={KEY_ENV: KEY_VALUE}), receivers, config_dir)
    try:
        stack.gateway.start()
        yield stack, backend
    finally:
        stack.http.close()
        stack.gateway.stop()
        for receiver in receivers.values():
            receiver.close()
        if server is not None:
            server.stop()


def schema_version(stack: Stack, backend: str) -> list[int]:
    settings = yaml.safe_load((stack.config_dir / "gateway.yaml").read_text())["storage"]
    if backend == "redis":
        client = redis.Redis.from_url(settings["url"])
        try:
            return [int(client.get("{" + settings["key_prefix"] + "}:schema") or 0)]
        finally:
            client.close()
    versions = []
    for name in ("gateway.db", "gateway.prefs.db"):
        conn = sqlite3.connect(Path(settings["path"]).with_name(name))
        versions.append(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.close()
    return versions


def test_a_0_1_0_store_is_migrated_and_keeps_everything(
    upgraded: tuple[Stack, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, backend = upgraded
    facts = manifest(backend)
    assert set(schema_version(stack, backend)) == {1}

    # Pending payloads are delivered, each once: the retrying one and the never-tried ones.
    stack.settle()
    retrying, untried = facts["pending"]["retrying"], facts["pending"]["untried"]
    assert stack.times_got("stats2", retrying["message_id"]) == 1
    for message_id in untried["message_ids"]:
        assert {d: stack.times_got(d, message_id) for d in DESTINATIONS} == dict.fromkeys(
            DESTINATIONS, 1
        )
    # Ledger rows and the disclosure built from them are intact, with their consent.
    alice = stack.admin("disclosure", facts["delivered"]["subject"]).json()
    records = alice["provision_records"]
    assert sorted((r["message_id"], r["destination"]) for r in records) == sorted(
        (m, d) for m in facts["delivered"]["message_ids"] for d in DESTINATIONS
    )
    assert all(r["consent"] and r["policy_version"] and r["country"] for r in records)
    deleted = stack.admin("disclosure", facts["deleted"]["subject"]).json()
    assert len(deleted["provision_records"]) == 3 and deleted["preferences"] == {}

    # The consent log reads back; the stored refusal and suspension apply to the next event.
    bob = stack.admin("disclosure", facts["refused"]["subject"]).json()
    assert [e["source"] for e in bob["consent_log"]] == ["api", "api"]
    assert bob["preferences"]
    carol = stack.admin("disclosure", facts["suspended"]["subject"]).json()
    assert [e["source"] for e in carol["consent_log"]] == ["dsar"]
    refused, _ = stack.send(facts["refused"]["subject"])
    suspended, _ = stack.send(facts["suspended"]["subject"])
    stack.settle()
    assert stack.reached(refused) == {"ads"}
    assert stack.reached(suspended) == set()

    # Dead letters can be replayed, and reach the destination once.
    dead = facts["dead"]
    monkeypatch.setenv(KEY_ENV, KEY_VALUE)
    args = ["deadletter", "replay", "--config", str(stack.config_dir)]
    assert main([*args, "--destination", dead["destination"]]) == 0
    for message_id in dead["message_ids"]:
        stack.wait_delivered(dead["destination"], message_id)
    stack.settle()
    for message_id in dead["message_ids"]:
        assert stack.times_got(dead["destination"], message_id) == 1
