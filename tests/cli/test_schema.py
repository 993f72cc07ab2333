"""`gateway schema`: the JSON Schema of each config file, as schemas/ holds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gateway.schemas.jsonschema import FILES, file_schema

ROOT = Path(__file__).resolve().parents[2]


def schema(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "schema", *args],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip


def test_one_file() -> None:
    printed = json.loads(schema("destinations").stdout)
    assert printed == file_schema("destinations")
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_all_files_keyed_by_name() -> None:
    assert json.loads(schema().stdout) == {name: file_schema(name) for name in FILES}


def test_write_makes_what_the_repository_ships(tmp_path: Path) -> None:
    schema("--write", str(tmp_path))
    for name in FILES:
        assert (tmp_path / f"{name}.json").read_text() == (
            ROOT / "schemas" / f"{name}.json"
        ).read_text()
