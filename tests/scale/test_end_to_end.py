"""One end-to-end walk through a Redis-backed gateway, run unchanged against a single
redis-server and a 3-master Redis Cluster (docs/scale-out.md: keys with hash tags so
Redis Cluster works): events in, delivered, ledger rows, preferences put/get, the
customer's "no" honoured (their dead letters dropped too), dedupe, dead letters and a
deletion request from the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.scale.fleet import (
    APP_AUTH,
    GATEWAY_ENV,
    View,
    post_event,
    redis_config,
    track,
    wait_until,
)
from tests.support.configs import webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Answer, Receiver

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture(params=["redis", "cluster"])
def storage(request: pytest.FixtureRequest) -> tuple[str, bool]:
    if request.param == "redis":
        return request.getfixturevalue("redis_url"), False
    return request.getfixturevalue("cluster_url"), True


def cli(config: Path, *args: str) -> list[Any]:
    """Run a `gateway` subcommand; its stdout as JSON lines (or one JSON document)."""
    done = subprocess.run(
        [sys.executable, "-m", "gateway", *args, "--config", str(config)],
        capture_output=True,
        env={**os.environ, **GATEWAY_ENV},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode().strip()
    if text.startswith("{\n"):
        return [orjson.loads(text)]
    return [orjson.loads(line) for line in text.splitlines() if line]


def test_events_preferences_ledger_and_deletion_end_to_end(
    storage: tuple[str, bool],
    receiver_factory: Callable[[], Receiver],
    config_factory: Callable[..., Path],
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    url, cluster = storage
    hook, rejecting = receiver_factory(), receiver_factory()
    rejecting.default = Answer(status=400)
    config = redis_config(
        config_factory,
        url,
        cluster=cluster,
        destinations=[webhook("hook", hook.url), webhook("rejecting", rejecting.url)],
    )
    gateway = gateway_factory(config, env=GATEWAY_ENV)
    view = View(url, cluster)
    first = {**track("e1"), "anonymousId": "visitor-1"}

    with httpx.Client() as client:
        accepted = post_event(client, gateway.url, first, authorization=APP_AUTH)
        assert accepted.status_code == 200, gateway.log()
        token = accepted.headers["gateway-subject"]
        assert hook.wait_for(1)[0]["messageId"] == "e1"
        wait_until(lambda: view.dead_message_ids("rejecting") == ["e1"], 10, "e1's dead letter")

        consent = client.put(
            gateway.url + "/v1/consent",
            json={"purposes": {"analytics": False}},
            headers={"gateway-subject": token},
        )
        assert consent.status_code == 200, consent.text
        read = client.get(gateway.url + "/v1/consent", headers={"gateway-subject": token})
        assert read.status_code == 200
        assert read.json()["purposes"]["analytics"] is False, read.json()

        assert post_event(client, gateway.url, first).status_code == 200  # a client retry
        refused = {**track("e2"), "anonymousId": "visitor-1"}
        assert post_event(client, gateway.url, refused).status_code == 200
        assert post_event(client, gateway.url, track("e3")).status_code == 200

    events = hook.wait_for(2)
    wait_until(lambda: len(view.ledger("hook")) == 2, 10, "two ledger rows")
    assert [e["messageId"] for e in hook.events()] == ["e1", "e3"]  # e1 once, e2 refused
    assert [e["messageId"] for e in events] == ["e1", "e3"]

    rows = cli(config, "ledger", "--subject", "visitor-1", "--json")
    assert [(r["destination"], r["message_id"]) for r in rows] == [("hook", "e1")]
    # The withdrawal dropped visitor-1's dead letter; e3's (another subject) stays.
    wait_until(lambda: view.dead_message_ids("rejecting") == ["e3"], 10, "e3's dead letter")
    (dead,) = cli(config, "deadletter", "list", "--json")
    assert dead["destination"] == "rejecting"

    (deletion,) = cli(config, "dsar", "deletion", "--subject", "visitor-1")
    assert deletion["preferences_deleted"] >= 1, deletion
    assert deletion["suppression_kept"] >= 1, deletion
    with httpx.Client() as client:
        read = client.get(gateway.url + "/v1/consent", headers={"gateway-subject": token})
    assert read.status_code == 200
    # The refusal outlives the deletion (a suppression record): tracking does not restart.
    assert read.json()["purposes"]["analytics"] is False
    assert read.json()["decided_by"]["analytics"] == "preferences"
