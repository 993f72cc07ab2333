"""Edits of the destination files: comments and styles kept, versions, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from gateway.console.editor import Editor, Stale, check, plan, version_of, write
from gateway.destinations.registry import read_config
from gateway.errors import ConfigError, NotFound
from tests.console.stack import DESTINATIONS
from tests.support.configs import write_config

HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    write_config(tmp_path)
    (tmp_path / "destinations.yaml").write_text(DESTINATIONS.format(analytics=HOOK, crm=HOOK))
    return tmp_path


def analytics(**changes: object) -> dict[str, object]:
    item = yaml.safe_load(DESTINATIONS.format(analytics=HOOK, crm=HOOK))["destinations"][0]
    return {**item, **changes}


def test_a_change_keeps_comments_order_and_list_styles(directory: Path) -> None:
    change = plan(
        directory,
        "replace",
        "analytics",
        analytics(fields=["type", "event", "messageId", "userId"]),
    )
    assert "fields: [type, event, messageId, userId] # keep this list short" in change.after
    assert change.after.startswith("# Forwarding rules")
    assert "  # The analytics hook" in change.after
    before, after = change.before.splitlines(), change.after.splitlines()
    assert [line for line in after if line not in before] == [
        "    fields: [type, event, messageId, userId] # keep this list short"
    ]
    assert "+    fields: [type, event, messageId, userId]" in change.diff()


def test_add_remove_and_unknown(directory: Path) -> None:
    added = plan(directory, "add", "extra", analytics(name="extra"))
    assert [d["name"] for d in yaml.safe_load(added.after)["destinations"]] == [
        "analytics",
        "crm",
        "extra",
    ]
    with pytest.raises(ConfigError):
        plan(directory, "add", "crm", analytics(name="crm"))
    removed = plan(directory, "remove", "crm", None)
    assert [d["name"] for d in yaml.safe_load(removed.after)["destinations"]] == ["analytics"]
    with pytest.raises(NotFound):
        plan(directory, "replace", "nope", analytics(name="nope"))


def test_an_empty_flow_list_becomes_a_block_list(directory: Path) -> None:
    (directory / "destinations.yaml").write_text("destinations: []\n")
    change = plan(directory, "add", "analytics", analytics())
    assert change.after.startswith("destinations:\n  - name: analytics\n")


def test_the_check_is_the_loaders_and_the_version_is_the_files(directory: Path) -> None:
    version = version_of(directory)
    change = plan(directory, "replace", "analytics", analytics(country="CN"))
    with pytest.raises(ConfigError) as refused:
        check(change, directory, read_config)
    assert any('destination "analytics": country "CN"' in p for p in refused.value.problems)
    assert version_of(directory) == version
    good = check(
        plan(directory, "replace", "analytics", analytics(description="x")), directory, read_config
    )
    assert good.version_before == version != good.version_after
    with pytest.raises(Stale):
        Editor().prepare(directory, "replace", "analytics", analytics(), "0" * 32, read_config)


def test_write_replaces_the_file_atomically_keeping_its_mode(directory: Path) -> None:
    target = directory / "destinations.yaml"
    os.chmod(target, 0o640)
    inode = target.stat().st_ino
    change = check(
        plan(directory, "replace", "analytics", analytics(description="x")), directory, read_config
    )
    write(change)
    assert target.read_text() == change.after
    assert target.stat().st_mode & 0o777 == 0o640
    assert target.stat().st_ino != inode  # a new file moved into place, not rewritten
    assert [p.name for p in directory.iterdir() if p.name.startswith(".")] == []
    assert version_of(directory) == change.version_after
