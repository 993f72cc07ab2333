"""File destination: one JSON line per delivered payload, for local use and demos."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import orjson

from gateway.config.schema import DestinationConfig
from gateway.destinations.base import Outgoing
from gateway.errors import RetryableDelivery


class FileConfig(DestinationConfig):
    type: Literal["file"]
    """Writes one JSON line per payload to a file."""
    path: str
    """The file (relative to the working directory)."""


class FileDestination:
    def __init__(self, config: FileConfig, base_dir: Path) -> None:
        self.config = config
        self.max_batch = 500
        self._path = (
            (base_dir / config.path) if not Path(config.path).is_absolute() else Path(config.path)
        )
        self._lock = asyncio.Lock()

    def format(self, event: dict[str, Any]) -> dict[str, Any]:
        return event

    async def send(self, items: Sequence[Outgoing]) -> None:
        lines = b"".join(
            orjson.dumps({"id": item.idempotency_key, "event": item.payload}) + b"\n"
            for item in items
        )
        async with self._lock:
            try:
                await asyncio.to_thread(self._append, lines)
            except OSError as exc:
                raise RetryableDelivery(f"cannot write file ({exc.strerror})") from exc

    def _append(self, data: bytes) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    async def aclose(self) -> None:
        return None
