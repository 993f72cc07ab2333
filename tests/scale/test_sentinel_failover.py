"""Acknowledged means replicated: a master, a replica and a Sentinel (quorum 1) on loopback,
the gateway on the Sentinel config, a client posting events one by one. The replica is
frozen (SIGSTOP) for a moment, then the master is killed with SIGKILL; Sentinel promotes
the replica and the old master comes back as its replica; posting goes on throughout.

With `min_replicas: 1` every messageId answered 200 reaches the receiver, and nothing sent
while the replica was frozen is answered 200. With `min_replicas: 0` those events are
answered 200; the test reports how many of them the failover lost (see the note there on
why a frozen replica on loopback usually still gets them)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from tests.scale.fleet import GATEWAY_ENV, metric, post_event, track, wait_until
from tests.support.configs import webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Answer, Receiver
from tests.support.redis_server import RedisServer, SentinelServer, replica_of, wait_synced

pytestmark = [pytest.mark.redis, pytest.mark.slow]
# The receiver refuses for a second: the breaker and the backoff must not outlast the test.
QUICK_DELIVERY = {
    "timeout_seconds": 1.0, "breaker_cooldown_seconds": 0.5,
    "backoff_base_seconds": 0.2, "backoff_max_seconds": 1.0,
}  # fmt: skip


@dataclass
class Replicated:
    master: RedisServer
    replica: RedisServer
    sentinel: SentinelServer


@pytest.fixture
def replicated(tmp_path: Path) -> Iterator[Replicated]:
    master = RedisServer(tmp_path / "master").start()
    replica = replica_of(tmp_path / "replica", master).start()
    wait_synced(replica)
    sentinel = SentinelServer(tmp_path / "sentinel", master).start()
    wait_until(lambda: sentinel.replicas_known() == 1, 15, "Sentinel to find the replica", 0.1)
    yield Replicated(master, replica, sentinel)
    for server in (sentinel, replica, master):
        if server.process is not None and server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def sentinel_config(
    config_factory: Callable[..., Path], cluster: Replicated, receiver: Receiver, replicas: int
) -> Path:
    directory = config_factory(
        gateway={"secrets": {"key_env": "GATEWAY_KEY"}, "delivery": QUICK_DELIVERY},
        destinations=[webhook("hook", receiver.url, batch_size=10)],
    )
    path = directory / "gateway.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["storage"] = {
        "backend": "redis",
        "sentinel": {"master_name": cluster.sentinel.name, "nodes": [cluster.sentinel.address]},
        "min_replicas": replicas,
        "replica_timeout_ms": 300,
        "claim_idle_seconds": 1,
    }
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return directory


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


def fail_over(cluster: Replicated, poster: Poster, receiver: Receiver) -> None:
    """Freeze the replica, let events arrive, kill the master, thaw the replica; wait for
    Sentinel to promote it, and bring the old master back (Sentinel makes it a replica).
    The receiver refuses while the replica is frozen, so what arrives then stays queued on
    the master alone (else the worker could deliver it before the kill)."""
    old = cluster.sentinel.master()
    time.sleep(1.0)
    replica_process = cluster.replica.process
    assert replica_process is not None
    receiver.default = Answer(status=503)
    os.kill(replica_process.pid, signal.SIGSTOP)
    poster.phase = "frozen"
    time.sleep(1.0)
    cluster.master.kill()
    poster.phase = "failover"
    os.kill(replica_process.pid, signal.SIGCONT)
    receiver.default = Answer()
    wait_until(lambda: cluster.sentinel.master() not in (None, old), 20, "Sentinel to promote")
    new = cluster.sentinel.master()
    assert new is not None
    # The old master comes back on its port as the new master's replica, as its operator
    # (or, some seconds later, Sentinel itself) would make it: restarted as a master with
    # its own AOF it could be promoted again and the newer writes overwritten.
    cluster.master.extra = ("--replicaof", new[0], str(new[1]))
    cluster.master.start()
    wait_synced(cluster.master)
    poster.phase = "after"
    time.sleep(1.5)


def run(
    config: Path, cluster: Replicated, receiver: Receiver, tmp_path: Path
) -> tuple[Poster, GatewayProcess]:
    gateway = GatewayProcess(config, env=GATEWAY_ENV, log_path=tmp_path / "gateway.log").start()
    try:
        with Poster(gateway.url) as poster:
            fail_over(cluster, poster, receiver)
        return poster, gateway
    except BaseException:
        gateway.stop()
        raise


def test_with_min_replicas_1_every_acknowledged_event_survives_the_failover(
    replicated: Replicated,
    receiver: Receiver,
    config_factory: Callable[..., Path],
    tmp_path: Path,
) -> None:
    config = sentinel_config(config_factory, replicated, receiver, replicas=1)
    started = time.monotonic()
    poster, gateway = run(config, replicated, receiver, tmp_path)
    try:
        statuses = {s for *_, s in poster.answers}
        assert statuses <= {200, 503}, statuses
        assert poster.within("before"), "nothing was acknowledged before the failover"
        assert not poster.acknowledged("frozen"), "acknowledged while no replica could confirm"
        assert poster.within("after"), "posting did not recover after the failover"
        acknowledged = poster.acknowledged()
        wait_until(
            lambda: acknowledged <= {e["messageId"] for e in receiver.events()},
            20,
            "every acknowledged messageId at the receiver",
        )
        assert metric(gateway.url, "gateway_redis_failovers_total") >= 1
        assert metric(gateway.url, "gateway_redis_too_few_replicas_total") >= 1
        assert metric(gateway.url, "gateway_redis_replica_ack_seconds_count") >= len(acknowledged)
        assert time.monotonic() - started < 60
    finally:
        gateway.stop()


def test_with_min_replicas_0_events_are_acknowledged_unconfirmed_and_the_loss_is_reported(
    replicated: Replicated,
    receiver: Receiver,
    config_factory: Callable[..., Path],
    tmp_path: Path,
) -> None:
    config = sentinel_config(config_factory, replicated, receiver, replicas=0)
    poster, gateway = run(config, replicated, receiver, tmp_path)
    try:
        frozen = poster.acknowledged("frozen")
        assert frozen, "nothing was acknowledged while the replica was frozen"
        survivors = set().union(*(poster.within(p) for p in ("before", "failover", "after")))
        wait_until(
            lambda: survivors <= {e["messageId"] for e in receiver.events()},
            20,
            "the acknowledged events the replica had",
        )
        time.sleep(1.0)
        lost = frozen - {e["messageId"] for e in receiver.events()}
        # Said plainly, whichever way it went. A frozen replica's kernel still receives the
        # replication stream into its socket buffer, so after SIGCONT it usually applies
        # what the master sent before dying: on loopback this run rarely loses anything.
        # A real partition (the stream not arriving) loses what `lost` would list.
        print(f"\nmin_replicas 0: {len(lost)} of {len(frozen)} events acknowledged while the "
              "replica was frozen were lost in the failover"
              + (" (this run lost nothing)" if not lost else ""))  # fmt: skip
    finally:
        gateway.stop()
