"""`gateway deadletter` on a real SQLite store: list shows id, messageId, destination, reason
code and age (a table, or JSON lines); drop needs a filter or --all and asks on a terminal."""

from __future__ import annotations

import asyncio
import os
import pty
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.destinations.registry import read_config
from gateway.store.factory import open_store
from gateway.store.types import OutboxItem
from tests.support.configs import webhook

HOOK = "http://127.0.0.1:9/hook"


def item(message_id: str, destination: str, age_seconds: float) -> OutboxItem:
    return OutboxItem(
        destination=destination,
        idempotency_key=f"msg_{message_id}_{destination}",
        message_id=message_id,
        source_id="server",
        subject_keys=("a_1",),
        payload={"event": "Viewed"},
        meta={"policy_version": "v1", "country": "JP", "purposes": ["analytics"]},
        created_at=time.time() - age_seconds,
    )


async def dead_letter(config_dir: Path, entries: list[tuple[OutboxItem, str]]) -> None:
    store = await open_store(read_config(config_dir))
    try:
        for entry, reason in entries:
            await store.outbox.enqueue([entry])
            (claimed,) = await store.outbox.claim(entry.destination, 1, 30)
            await store.outbox.dead_letter(claimed, reason)
    finally:
        await store.aclose()


@pytest.fixture
def config(config_factory: Callable[..., Path]) -> Path:
    directory = config_factory(destinations=[webhook("hook", HOOK), webhook("other", HOOK)])
    asyncio.run(
        dead_letter(
            directory,
            [
                (item("m-1", "hook", 3 * 3600 + 60), "destination answered 400"),
                (item("m-2", "other", 600), "gave up after 8 attempts (last: timeout)"),
            ],
        )
    )
    return directory


def gateway(*args: str, stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True, text=True, timeout=60, stdin=stdin, check=False,
    )  # fmt: skip


def test_list_is_a_table_of_what_an_operator_needs(config: Path) -> None:
    result = gateway("deadletter", "list", "--config", str(config))
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["ID", "MESSAGE_ID", "DESTINATION", "REASON", "AGE", "DETAIL"]
    cells = [row.split(None, 5) for row in rows]
    assert [c[1:5] for c in cells] == [
        ["m-1", "hook", "fatal", "3h01m"],
        ["m-2", "other", "gave_up", "10m"],
    ]
    assert cells[0][5] == "destination answered 400"
    assert result.stderr == "2 dead letter(s)\n"


def test_list_json_has_the_same_and_iso_times(config: Path) -> None:
    result = gateway(
        "deadletter", "list", "--config", str(config), "--json", "--destination", "other"
    )
    (row,) = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert {k: row[k] for k in ("message_id", "destination", "reason", "age", "attempts")} == {
        "message_id": "m-2", "destination": "other", "reason": "gave_up", "age": "10m",
        "attempts": 1,
    }  # fmt: skip
    assert row["dead_at"].endswith("Z") and row["created_at"].endswith("Z")


def ask(config: Path, answer: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    """`deadletter drop` with a terminal on stdin, answering its question."""
    main_fd, terminal = pty.openpty()
    try:
        os.write(main_fd, answer)
        return gateway("deadletter", "drop", "--config", str(config), *args, stdin=terminal)
    finally:
        os.close(terminal)
        os.close(main_fd)


def listed(config: Path) -> list[str]:
    result = gateway("deadletter", "list", "--config", str(config), "--json")
    return [orjson.loads(line)["message_id"] for line in result.stdout.splitlines()]


def test_drop_asks_on_a_terminal_and_no_keeps_everything(config: Path) -> None:
    refused = ask(config, b"n\n", "--all")
    assert refused.returncode == 1
    assert "drop 2 dead letter(s) for every destination for good? [y/N]" in refused.stdout
    assert refused.stderr == "nothing dropped\n"
    assert listed(config) == ["m-1", "m-2"]

    agreed = ask(config, b"y\n", "--destination", "hook")
    assert agreed.returncode == 0
    assert "drop 1 dead letter(s) for hook for good? [y/N]" in agreed.stdout
    assert agreed.stdout.endswith("dropped 1 dead letter(s)\n")
    assert listed(config) == ["m-2"]


def test_drop_without_a_terminal_or_with_yes_does_not_ask(config: Path) -> None:
    piped = gateway("deadletter", "drop", "--config", str(config), "--destination", "other")
    assert (piped.returncode, piped.stdout) == (0, "dropped 1 dead letter(s)\n")
    yes = ask(config, b"", "--all", "--yes")
    assert (yes.returncode, yes.stdout) == (0, "dropped 1 dead letter(s)\n")
    assert listed(config) == []
