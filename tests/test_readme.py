"""The README's quick start, run verbatim: its shell block is executed against a gateway
started the way `make run` starts it, from a copy of the repository's configs and examples."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")


def quick_start() -> list[str]:
    """The ```sh blocks of the README's "Quick start" section."""
    text = README.read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def commands(block: str) -> list[str]:
    """One string per shell command: continuation lines joined."""
    return [c for c in block.replace("\\\n", " ").splitlines() if c.strip()]


def wait_for_lines(paths: list[Path], timeout: float = 20.0) -> None:
    """A reader types the next command after delivery happened; the test waits for it."""
    deadline = time.monotonic() + timeout
    while not all(p.exists() and p.read_text().endswith("\n") for p in paths):
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing delivered to {[p.name for p in paths]}")
        time.sleep(0.05)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A clone's layout as far as the quick start touches it: configs/, examples/, .venv/."""
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    return tmp_path


def test_the_quick_start_starts_with_make_run_serving_the_demo_config() -> None:
    first, *_ = quick_start()
    assert commands(first)[0].startswith("make run")
    makefile = (ROOT / "Makefile").read_text()
    assert "CONFIG ?= configs" in makefile and "PORT   ?= 8080" in makefile
    assert "$(BIN)/gateway serve --config $(CONFIG) --host $(HOST) --port $(PORT)" in makefile


def serve(checkout: Path, port: int) -> subprocess.Popen[bytes]:
    """`make run`'s command, from the checkout (the demo config's data/ is relative to it)."""
    argv = ["serve", "--config", "configs", "--host", "127.0.0.1", "--port", str(port)]
    with (checkout / "gateway.log").open("wb") as log:
        process = subprocess.Popen(
            [str(checkout / ".venv/bin/gateway"), *argv], cwd=checkout, stdout=log, stderr=log
        )
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=0.5).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError((checkout / "gateway.log").read_text())
        time.sleep(0.05)


def run_block(block: str, checkout: Path) -> list[str]:
    """Each command through bash in the checkout; stdout of each, stripped."""
    outputs = []
    for command in commands(block):
        if command.startswith("cat data/"):
            wait_for_lines(
                [checkout / "data/demo-analytics.jsonl", checkout / "data/demo-ads.jsonl"]
            )
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
        outputs.append(result.stdout.strip())
    return outputs


def test_the_quick_start_block_works_verbatim(checkout: Path) -> None:
    _, block, *rest = quick_start()
    assert not rest, "a new quick-start block needs this test to run it"
    port = free_port()
    server = serve(checkout, port)
    try:
        outputs = run_block(block.replace("8080", str(port)), checkout)
    finally:
        server.terminate()
        server.wait(20)
    post, delivered, explained = outputs
    assert post == '{"success":true}'
    lines = delivered.splitlines()
    assert len(lines) == 2 and all("Order Completed" in line for line in lines)
    assert "latitude" not in delivered and "35.68" not in delivered
    assert "properties.latitude  [location: key_name]" in explained
    assert "SEND demo-analytics" in explained and "SEND demo-ads" in explained
