"""What both backends' migrations share: a numbered forward step, and the refusal to open a
store written by a newer release.

The next change to a stored format is one new `Migration` appended to the backend's list
(sqlite/migrations.py, redis/migrations.py) plus its test from the 0.1.0 fixtures; a
migration never changes once released."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.errors import GatewayError

Step = TypeVar("Step")


class StoreTooNew(GatewayError):
    """The store was written by a release newer than this code: opening it could corrupt it."""


@dataclass(frozen=True, slots=True)
class Migration(Generic[Step]):
    version: int
    """The schema version the store is at once this migration has run."""
    summary: str
    apply: Step


def pending(what: str, found: int, migrations: Sequence[Migration[Step]]) -> list[Migration[Step]]:
    """The migrations still to run on a store at version `found`, in order."""
    known = migrations[-1].version if migrations else 0
    if found > known:
        raise StoreTooNew(
            f"{what} is at store schema version {found}, but this gateway knows versions up to "
            f"{known}: run the release that wrote it, or restore the backup taken before it ran"
        )
    return [m for m in migrations if m.version > found]


def latest(migrations: Sequence[Migration[Step]]) -> int:
    return migrations[-1].version if migrations else 0
