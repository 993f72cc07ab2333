"""A reload applies what it can and says what needs a restart, keeping the running config."""

from __future__ import annotations

from pathlib import Path

import yaml

from gateway.destinations.registry import read_config
from gateway.runtime import Gateway
from tests.support.configs import write_config


async def test_a_change_of_storage_is_refused_on_reload(tmp_path: Path) -> None:
    directory = write_config(tmp_path / "c")
    gateway = Gateway(read_config(directory), run_worker=False)
    before = await gateway.start()
    try:
        settings = yaml.safe_load((directory / "gateway.yaml").read_text())
        settings["storage"]["path"] = str(tmp_path / "elsewhere.db")
        (directory / "gateway.yaml").write_text(yaml.safe_dump(settings))
        assert gateway.reload() == [
            "gateway.yaml: storage: changed; it takes a restart, not a reload"
        ]
        assert gateway.current() is before
    finally:
        await gateway.stop()


async def test_a_new_destination_is_applied_by_a_reload(tmp_path: Path) -> None:
    directory = write_config(tmp_path / "c")
    gateway = Gateway(read_config(directory), run_worker=False)
    before = await gateway.start()
    try:
        hook = {"name": "hook", "type": "webhook", "url": "https://hooks.example.net/in",
                "country": "JP", "purposes": ["analytics"], "fields": ["event"]}  # fmt: skip
        (directory / "destinations.yaml").write_text(yaml.safe_dump({"destinations": [hook]}))
        assert gateway.reload() == []
        assert gateway.current() is not before
        assert list(gateway.current().destinations) == ["hook"]
    finally:
        await gateway.stop()
