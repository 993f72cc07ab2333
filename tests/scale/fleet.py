"""Helpers for the scale-out tests: Redis-backed configs, a fleet of gateway and worker
processes sharing one Redis, a 3-master Redis Cluster, and a read-only view of the shared
store from the test process."""

from __future__ import annotations

import asyncio
import base64
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import redis
import yaml

from gateway.config.schema import RedisStorage
from gateway.store.redis import RedisStore
from gateway.store.redis.entries import GROUP
from gateway.store.types import ProvisionRecord, QueueStats
from tests.support.configs import APP_KEY, SERVER_KEY
from tests.support.processes import GatewayProcess, free_port
from tests.support.receiver import Receiver
from tests.support.redis_server import RedisServer, require_redis_server

T = TypeVar("T")
GATEWAY_ENV = {"GATEWAY_KEY": "scale-test-gateway-key-0001-0123456789"}
AUTH = "Basic " + base64.b64encode(f"{SERVER_KEY}:".encode()).decode()


def redis_config(
    config_factory: Callable[..., Path],
    url: str,
    *,
    cluster: bool = False,
    destinations: list[dict[str, Any]] | None = None,
    **gateway: Any,
) -> Path:
    """A config directory for a Redis-backed fleet (with the shared key the backend needs).
    The factory merges `storage` into its SQLite default, so the storage is written after."""
    directory = config_factory(
        gateway={"secrets": {"key_env": "GATEWAY_KEY"}, **gateway}, destinations=destinations
    )
    path = directory / "gateway.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["storage"] = {
        "backend": "redis", "url": url, "cluster": cluster, "claim_idle_seconds": 1,
    }  # fmt: skip
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return directory


def track(message_id: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Viewed",
        "messageId": message_id,
        "anonymousId": f"anon-{message_id}",
        "properties": properties,
    }


def post_event(
    client: httpx.Client,
    base: str,
    event: dict[str, Any],
    timeout: float = 5.0,
    authorization: str = AUTH,
) -> httpx.Response:
    return client.post(
        base + "/v1/track", json=event, headers={"authorization": authorization}, timeout=timeout
    )


# An app source: events from it get a subject token (server sources do not).
APP_AUTH = "Basic " + base64.b64encode(f"{APP_KEY}:".encode()).decode()


def metric(base: str, name: str) -> float:
    """The sum of a Prometheus metric's samples (all label sets) on one node."""
    text = httpx.get(base + "/metrics", timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


class Fleet:
    """Gateway (`serve --no-worker`) and `worker` processes on one config; stopped at the
    end of the test by the fixture that made it."""

    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.edges: list[GatewayProcess] = []
        self.workers: list[GatewayProcess] = []

    def start(self, edges: int = 0, workers: int = 0, args: tuple[str, ...] = ()) -> Fleet:
        """Start edges (with extra `serve` args) and workers; returns once the edges answer."""
        new = [self._edge(args) for _ in range(edges)]
        self.workers += [self._worker() for _ in range(workers)]
        for process in new:
            process.wait_ready()
        return self

    def _edge(self, args: tuple[str, ...]) -> GatewayProcess:
        process = GatewayProcess(self.config_dir, args=("--no-worker", *args), env=GATEWAY_ENV)
        self.edges.append(process.start(wait=False))
        return process

    def _worker(self) -> GatewayProcess:
        return GatewayProcess(self.config_dir, command="worker", env=GATEWAY_ENV).start()

    def stop(self) -> None:
        for process in [*self.edges, *self.workers]:
            process.stop()

    def logs(self) -> str:
        return "\n".join(p.log() for p in [*self.edges, *self.workers])


@dataclass
class View:
    """The shared store, read from the test process."""

    url: str
    cluster: bool = False

    def _read(self, query: Callable[[RedisStore], Coroutine[Any, Any, T]]) -> T:
        async def once() -> T:
            storage = RedisStorage(backend="redis", url=self.url, cluster=self.cluster)
            store = await RedisStore.connect(storage)
            try:
                return await query(store)
            finally:
                await store.aclose()

        return asyncio.run(once())

    def ledger(self, destination: str | None = None) -> list[ProvisionRecord]:
        return self._read(lambda s: s.ledger.query(destination=destination, limit=1_000_000))

    def dead_message_ids(self, destination: str) -> list[str]:
        letters = self._read(lambda s: s.dead_letters.entries(destination, 1_000_000))
        return sorted(letter.item.message_id for letter in letters)

    def stats(self, *destinations: str) -> dict[str, QueueStats]:
        return self._read(lambda s: s.outbox.stats(destinations))

    def client(self) -> Any:
        if self.cluster:
            return redis.RedisCluster.from_url(self.url)
        return redis.Redis.from_url(self.url)

    def pending_of(self, destination: str) -> dict[str, list[bytes]]:
        """Entry ids of the stream's pending list, by consumer."""
        client = self.client()
        try:
            rows = client.xpending_range(
                f"{{cg}}:out:{destination}", GROUP, min="-", max="+", count=100_000
            )
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            rows = []  # no worker has read the stream yet
        finally:
            client.close()
        out: dict[str, list[bytes]] = {}
        for row in rows:
            out.setdefault(row["consumer"].decode(), []).append(row["message_id"])
        return out

    def message_ids(self, destination: str, entry_ids: list[bytes]) -> set[str]:
        """messageIds of stream entries (those still in the stream)."""
        from gateway.store.redis.entries import decode_item

        client = self.client()
        try:
            found: set[str] = set()
            for entry_id in entry_ids:
                rows = client.xrange(f"{{cg}}:out:{destination}", entry_id, entry_id)
                found.update(decode_item(fields[b"d"])[0].message_id for _, fields in rows)
            return found
        finally:
            client.close()


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Cluster:
    """Three masters on loopback (with a replica each when `replicas`), made with
    `redis-cli --cluster create`."""

    def __init__(self, directory: Path, *, replicas: int = 0, node_timeout_ms: int = 5000) -> None:
        require_redis_server()
        self.cli = shutil.which("redis-cli")
        if self.cli is None:
            pytest.skip("redis-cli is not installed (Debian package redis-tools)")
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.nodes = [self._node(directory / f"node{i}") for i in range(3 * (1 + replicas))]
        self.url = f"redis://127.0.0.1:{self.nodes[0].port}/0"

    def _node(self, directory: Path) -> RedisServer:
        # The cluster bus port defaults to port + 10000, which may be taken: pick it too.
        extra = (
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-port", str(free_port()),
            "--cluster-node-timeout", str(self.node_timeout_ms),
        )  # fmt: skip
        return RedisServer(directory, extra=extra)

    def start(self) -> Cluster:
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run(
            [self.cli or "redis-cli", "--cluster", "create", *addresses,
             "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        wait_until(self.healthy, 20, "cluster_state:ok on every node", 0.1)
        return self

    def healthy(self) -> bool:
        for node in self.nodes:
            if node.process is None or node.process.poll() is not None:
                continue  # a node the test killed
            client = redis.Redis(port=node.port)
            try:
                info = client.execute_command("CLUSTER", "INFO")
            finally:
                client.close()
            text = info.decode() if isinstance(info, bytes) else str(info)
            known = f"cluster_known_nodes:{len(self.nodes)}"
            if "cluster_state:ok" not in text or known not in text:
                return False
        return True

    def owner(self, key: str) -> RedisServer:
        """The master serving `key`'s hash slot (as the first running node sees it)."""
        alive = [n for n in self.nodes if n.process is not None and n.process.poll() is None]
        client = redis.Redis(port=alive[0].port)
        try:
            slot = int(client.execute_command("CLUSTER", "KEYSLOT", key))
            ranges = client.execute_command("CLUSTER", "SLOTS")
        finally:
            client.close()
        for low, high, master, *_ in ranges:
            if int(low) <= slot <= int(high):
                return next(n for n in self.nodes if n.port == int(master[1]))
        raise AssertionError(f"no master serves slot {slot}")

    def flush(self) -> None:
        for node in self.nodes:
            client = redis.Redis(port=node.port)
            client.flushall()
            client.close()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@dataclass
class Poster:
    """Posts events one by one until stopped; records each messageId with its status."""

    base: str
    phase: str = "before"
    answers: list[tuple[str, str, str, int]] = field(default_factory=list)
    """(messageId, phase when sent, phase when answered, status)"""
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Poster:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(15)

    def _run(self) -> None:
        with httpx.Client() as client:
            n = 0
            while not self._stop.is_set():
                n += 1
                message_id = f"s-{n:05d}"
                sent = self.phase
                try:
                    status = post_event(client, self.base, track(message_id), 5).status_code
                except httpx.HTTPError:
                    status = 0
                self.answers.append((message_id, sent, self.phase, status))
                time.sleep(0.005)

    def acknowledged(self, sent_in: str | None = None) -> set[str]:
        """messageIds answered 200 (of those sent in one phase)."""
        return {m for m, p, _, s in self.answers if s == 200 and sent_in in (None, p)}

    def within(self, phase: str) -> set[str]:
        """messageIds answered 200 that were sent and answered in `phase`."""
        return {m for m, p, q, s in self.answers if s == 200 and p == q == phase}


def delivered(receiver: Receiver) -> set[str]:
    """messageIds the receiver took (answered 200), with the idempotency key of each: a
    messageId may arrive twice, but only ever under one key."""
    keys: dict[str, set[str]] = {}
    for request in list(receiver.requests):
        if request.status == 200:
            for item in request.json()["batch"]:
                keys.setdefault(item["event"]["messageId"], set()).add(item["id"])
    assert all(len(ids) == 1 for ids in keys.values()), "a messageId under two keys"
    return set(keys)
