"""`gateway check` beyond validation: an empty directory fails, a config that cannot accept
or forward events is warned about, a typo gets the nearest known key."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.support.configs import webhook


def check(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "check", "--config", str(directory), *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_an_empty_directory_fails(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a config\n")
    result = check(tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"gateway check: {tmp_path}: no *.yaml files: nothing is configured\n"
    assert result.stdout == ""


def test_a_config_that_cannot_accept_events_is_warned_about(tmp_path: Path) -> None:
    (tmp_path / "gateway.yaml").write_text(
        yaml.safe_dump({"storage": {"backend": "sqlite", "path": str(tmp_path / "g.db")}})
    )
    result = check(tmp_path)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "warning: sources.yaml: no sources: every event will be refused (401)",
        "warning: destinations.yaml: no enabled destination: events are accepted and sent nowhere",
    ]
    assert result.stdout.startswith("config OK: 0 source(s), 0 destination(s)")
    assert check(tmp_path, "--strict").returncode == 1


def test_a_web_source_without_origins_is_warned_about(config_factory: Callable[..., Path]) -> None:
    directory = config_factory(
        destinations=[webhook("hook", "http://127.0.0.1:9/")],
        sources=[{"id": "shop", "write_key": "shop-key-0001", "kind": "web"}],
    )
    result = check(directory)
    assert result.returncode == 0
    assert result.stderr == (
        'warning: sources.yaml: source "shop": a web source without allowed_origins: browsers '
        "on other origins cannot send to it (no CORS grant)\n"
    )


def test_a_typo_gets_the_nearest_key(config_factory: Callable[..., Path]) -> None:
    hook = webhook("hook", "http://127.0.0.1:9/")
    hook["feilds"] = hook.pop("fields")
    result = check(config_factory(destinations=[hook]))
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        'destinations.yaml: destination "hook": missing required key "fields"',
        'destinations.yaml: destination "hook": unknown key "feilds" (did you mean "fields"?)',
    ]
