"""Helpers for end-to-end delivery tests against real gateway processes: posting events,
reading the ledger and dead letters straight from the SQLite file, running CLI commands,
and timing what a receiver gets."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson

from gateway.cli import main
from tests.support.configs import SERVER_KEY
from tests.support.processes import GatewayProcess
from tests.support.receiver import Received, Receiver

T = TypeVar("T")
LABEL = re.compile(r'(\w+)="([^"]*)"')

# Small settings so retries, give-up and timeouts happen within a test.
DELIVERY = {
    "max_attempts": 3,
    "max_age_seconds": 1,
    "backoff_base_seconds": 0.05,
    "backoff_max_seconds": 0.2,
    "timeout_seconds": 1,
    "poll_interval_seconds": 0.05,
}


def track(message_id: str, user_id: str | None = "user-1", **properties: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "track",
        "event": "Order Completed",
        "messageId": message_id,
        "properties": {"plan": "pro", **properties},
        "context": {"page": {"path": "/checkout"}},
    }
    if user_id:
        event["userId"] = user_id
    else:
        event["anonymousId"] = f"anon-{message_id}"
    return event


def post(gateway: GatewayProcess, *events: dict[str, Any], timeout: float = 5.0) -> httpx.Response:
    return httpx.post(
        gateway.url + "/v1/batch",
        json={"batch": list(events)},
        auth=(SERVER_KEY, ""),
        timeout=timeout,
    )


def wait_until(check: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def database(config_dir: Path) -> Path:
    return config_dir / "gateway.db"


def query(config_dir: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    uri = f"file:{database(config_dir)}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def ledger(config_dir: Path) -> list[dict[str, Any]]:
    return query(config_dir, "SELECT * FROM ledger ORDER BY id")


def dead_letters(config_dir: Path) -> list[dict[str, Any]]:
    return query(config_dir, "SELECT * FROM dead_letter ORDER BY id")


def subject_key(config_dir: Path, kind: str, value: str) -> str:
    """The ledger's subject key, computed here from the documented scheme: HMAC-SHA256 keyed
    by a key derived from the gateway secret (kept next to the SQLite file)."""
    secret = bytes.fromhex((config_dir / "gateway.db.key").read_text().strip())
    derived = hmac.new(secret, b"subject-key-v1", hashlib.sha256).digest()
    digest = hmac.new(derived, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return {"user": "u", "anon": "a"}[kind] + "_" + digest[:40]


def cli(*argv: str) -> tuple[int, str]:
    """Runs a `gateway` command in this process and returns (exit code, stdout)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            raise AssertionError(f"gateway {' '.join(argv)} exited: {err.getvalue()}") from exc
    return code, out.getvalue()


def json_lines(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]


def metric(gateway: GatewayProcess, name: str, **labels: str) -> float | None:
    """One sample of the gateway's /metrics, or None when it is not there (yet)."""
    text = httpx.get(gateway.url + "/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith(name + "{"):
            names, value = line[len(name) + 1 :].rsplit("} ", 1)
            if dict(LABEL.findall(names)) == labels:
                return float(value)
    return None


class Timed(list[Received]):
    """A receiver's request list that also notes when each request was recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, request: Received) -> None:
        self.times.append(time.monotonic())
        super().append(request)


def timed(receiver: Receiver) -> Timed:
    requests = Timed()
    receiver.requests = requests
    return requests


def webhook_ids(receiver: Receiver) -> list[str]:
    return [r.headers["webhook-id"] for r in list(receiver.requests)]
