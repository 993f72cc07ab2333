"""Changing destinations in the config files, as a person editing them would: the file is
read and written with ruamel.yaml's round-trip mode (comments, key order and quoting
survive), the whole directory as it would be afterwards is checked by the same loader as
`gateway check` before anything is replaced, and the file is replaced atomically (a
temporary file in the same directory, fsync, os.replace).

A version is a hash of the files holding destinations: an edit names the version it was
made against and is refused (412) when someone saved in between."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import difflib
import fcntl
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from gateway.config.loader import Config
from gateway.errors import ConfigError, NotFound

DEFAULT_FILE = "destinations.yaml"
Operation = Literal["add", "replace", "remove"]
Check = Callable[[Path], Config]
"""Loads and checks a config directory (raises ConfigError with every problem)."""


class Stale(Exception):
    """The edit was made against a version that is no longer the files' version."""

    def __init__(self, current: str) -> None:
        self.current = current
        super().__init__(current)


@dataclass(frozen=True)
class Change:
    """An edit ready to be written: the file, its text before and after, and the versions."""

    file: Path
    before: str
    after: str
    version_before: str
    version_after: str

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            f"a/{self.file.name}",
            f"b/{self.file.name}",
        )
        return "".join(lines)


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))


def _plain(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def destination_files(directory: Path) -> list[Path]:
    """The files with a `destinations:` section, in the loader's order."""
    found = []
    for path in _yaml_files(directory):
        document = _plain(path)
        if isinstance(document, dict) and "destinations" in document:
            found.append(path)
    return found


def version_of(directory: Path) -> str:
    """A hash of the destination files' names and contents."""
    digest = hashlib.sha256()
    for path in destination_files(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def listed(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    """Each destination as its file has it, with the file's name."""
    out: list[tuple[str, dict[str, Any]]] = []
    for path in destination_files(directory):
        items = _plain(path).get("destinations") or []
        out.extend((path.name, item) for item in items if isinstance(item, dict))
    return out


def _round_trip() -> YAML:
    handler = YAML()
    handler.preserve_quotes = True
    handler.width = 4096
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


def _owner(directory: Path, name: str) -> tuple[Path, Any, int] | None:
    """The file holding destination `name`, its round-trip document and the item's index."""
    for path in destination_files(directory):
        document = _round_trip().load(path.read_text(encoding="utf-8"))
        for index, item in enumerate(document.get("destinations") or []):
            if isinstance(item, dict) and item.get("name") == name:
                return path, document, index
    return None


def _target_for_new(directory: Path) -> tuple[Path, Any]:
    files = destination_files(directory)
    path = files[0] if files else directory / DEFAULT_FILE
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    document = _round_trip().load(text) if text.strip() else None
    if document is None:
        document = CommentedMap()
    if document.get("destinations") is None:
        document["destinations"] = CommentedSeq()
    return path, document


def _update(item: CommentedMap, new: dict[str, Any]) -> None:
    """Change the mapping in place, so comments on untouched keys stay where they were."""
    for key in [k for k in item if k not in new]:
        del item[key]
    for key, value in new.items():
        old = item.get(key)
        if key not in item or old != value:
            if isinstance(old, CommentedMap) and isinstance(value, dict):
                _update(old, value)
            elif isinstance(old, CommentedSeq) and isinstance(value, list):
                old[:] = value  # the list keeps its style (flow or block) and comments
            else:
                item[key] = value


def _dump(document: Any) -> str:
    out = io.StringIO()
    _round_trip().dump(document, out)
    return out.getvalue()


def plan(directory: Path, operation: Operation, name: str, body: dict[str, Any] | None) -> Change:
    """The change `operation` makes to the files (not yet written or checked)."""
    version = version_of(directory)
    if operation == "add":
        if _owner(directory, name) is not None:
            raise ConfigError([f'destination "{name}": a destination of that name exists'])
        path, document = _target_for_new(directory)
        items = document["destinations"]
        if not items and hasattr(items, "fa"):
            items.fa.set_block_style()  # `destinations: []` becomes a block list
        items.append(body)
    else:
        found = _owner(directory, name)
        if found is None:
            raise NotFound(f'no destination named "{name}"')
        path, document, index = found
        if operation == "remove":
            del document["destinations"][index]
        else:
            _update(document["destinations"][index], body or {})
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    after = _dump(document)
    return Change(path, before, after, version, "")


@contextlib.contextmanager
def _would_be(directory: Path, changed: Path, text: str) -> Iterator[Path]:
    """A copy of the directory's YAML files with `changed` holding `text`."""
    with tempfile.TemporaryDirectory(prefix="console-check-") as scratch:
        root = Path(scratch)
        for path in _yaml_files(directory):
            shutil.copyfile(path, root / path.name)
        (root / changed.name).write_text(text, encoding="utf-8")
        yield root


def check(change: Change, directory: Path, load: Check) -> Change:
    """Raise ConfigError with `gateway check`'s sentences if the directory as it would be
    after the change does not load; else the change with its new version."""
    with _would_be(directory, change.file, change.after) as candidate:
        load(candidate)
        return dataclasses.replace(change, version_after=version_of(candidate))


def write(change: Change) -> None:
    """Replace the file atomically, keeping its permissions."""
    path = change.file
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(change.after)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class Editor:
    """Serialises edits: one at a time in this process (an asyncio lock) and across the
    processes of `serve --workers N` (an flock on the config directory)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def locked(self, directory: Path) -> Any:
        async with self._lock:
            handle = os.open(directory, os.O_RDONLY)
            try:
                await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                os.close(handle)

    def prepare(
        self,
        directory: Path,
        operation: Operation,
        name: str,
        body: dict[str, Any] | None,
        expected: str,
        load: Check,
    ) -> Change:
        """Under `locked`: refuse a stale version (Stale), plan and check the change."""
        current = version_of(directory)
        if expected != current:
            raise Stale(current)
        return check(plan(directory, operation, name, body), directory, load)
