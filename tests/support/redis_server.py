"""A real redis-server on a free port with its own temp dir (AOF on, appendfsync always);
replicas of it and Sentinels watching it."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.support.processes import free_port


def require_redis_server() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (make test installs it from Debian's packages)")
    return binary


class RedisServer:
    def __init__(self, directory: Path, *, extra: tuple[str, ...] = ()) -> None:
        self.binary = require_redis_server()
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--maxmemory-policy", "noeviction", "--protected-mode", "no",
            "--repl-diskless-sync-delay", "0", *self.extra,
        ]  # fmt: skip
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    client.close()
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def replica_of(directory: Path, master: RedisServer, port: int | None = None) -> RedisServer:
    """A redis-server replicating `master` (same AOF settings; through `port`, a relay in
    front of it, if given), not yet started."""
    return RedisServer(directory, extra=("--replicaof", "127.0.0.1", str(port or master.port)))


def wait_synced(replica: RedisServer, timeout: float = 10.0) -> None:
    """Until the replica's link to its master is up (the first sync is done)."""
    client = redis.Redis(port=replica.port, socket_timeout=1)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if client.info("replication").get("master_link_status") == "up":
                return
            time.sleep(0.05)
    finally:
        client.close()
    raise RuntimeError("the replica did not sync with its master")


class SentinelServer:
    """One Redis Sentinel on a free port watching `master` (at `port`, a relay in front of
    it, if given) under `name` with quorum 1, quick to act: the master is judged down after
    `down_after_ms` and a failover may start again after `failover_timeout_ms`."""

    def __init__(
        self,
        directory: Path,
        master: RedisServer,
        name: str = "gw",
        *,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 3000,
        port: int | None = None,
    ) -> None:
        self.binary = require_redis_server()
        self.directory = directory
        self.name = name
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.settings = (
            f"port {self.port}\nbind 127.0.0.1\nprotected-mode no\ndir {directory}\n"
            f"sentinel monitor {name} 127.0.0.1 {port or master.port} 1\n"
            f"sentinel down-after-milliseconds {name} {down_after_ms}\n"
            f"sentinel failover-timeout {name} {failover_timeout_ms}\n"
            f"sentinel parallel-syncs {name} 1\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> SentinelServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "sentinel.conf"  # Sentinel rewrites it: it must be writable
        config.write_text(self.settings, encoding="utf-8")
        with (self.directory / "sentinel.log").open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, str(config), "--sentinel"], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.master() is not None:
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-sentinel did not start")

    def master(self) -> tuple[str, int] | None:
        """The master's address as this sentinel names it now."""
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=1)
        try:
            found = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.name)
        except redis.RedisError:
            return None
        finally:
            client.close()
        return (found[0].decode(), int(found[1])) if found else None

    def replicas_known(self) -> int:
        client = redis.Redis(port=self.port, socket_timeout=1)
        try:
            return len(client.execute_command("SENTINEL", "REPLICAS", self.name))
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
