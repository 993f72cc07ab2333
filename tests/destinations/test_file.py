"""File adapter: one JSON line per payload, appended and fsynced; a write failure retries."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from gateway.destinations.base import Outgoing
from gateway.destinations.file import FileConfig, FileDestination
from gateway.errors import RetryableDelivery


def config(path: str) -> FileConfig:
    return FileConfig.model_validate(
        {
            "name": "local",
            "type": "file",
            "path": path,
            "country": "JP",
            "role": "processor",
            "purposes": ["analytics"],
            "fields": ["event"],
        }
    )


async def test_payloads_are_appended_as_json_lines(tmp_path: Path) -> None:
    destination = FileDestination(config("out/events.jsonl"), tmp_path)
    await destination.send([Outgoing("k1", {"event": "A"}), Outgoing("k2", {"event": "日本"})])
    await destination.send([Outgoing("k3", {"event": "C"})])
    lines = (tmp_path / "out" / "events.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == [
        {"id": "k1", "event": {"event": "A"}},
        {"id": "k2", "event": {"event": "日本"}},
        {"id": "k3", "event": {"event": "C"}},
    ]


async def test_concurrent_sends_do_not_interleave_lines(tmp_path: Path) -> None:
    destination = FileDestination(config(str(tmp_path / "abs.jsonl")), Path("/nonexistent"))
    batches = [[Outgoing(f"k{b}-{i}", {"event": "x" * 2000}) for i in range(20)] for b in range(10)]
    await asyncio.gather(*(destination.send(batch) for batch in batches))
    lines = (tmp_path / "abs.jsonl").read_bytes().splitlines()
    assert sorted(orjson.loads(line)["id"] for line in lines) == sorted(
        item.idempotency_key for batch in batches for item in batch
    )


async def test_a_write_failure_is_retryable(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    destination = FileDestination(config("taken"), tmp_path)
    with pytest.raises(RetryableDelivery, match="cannot write file"):
        await destination.send([Outgoing("k1", {"event": "A"})])
    assert destination.format({"event": "A"}) == {"event": "A"}
