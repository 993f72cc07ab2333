"""`python -m build` makes an sdist and a wheel; the wheel carries the built browser SDK, the
licence and the version, and a gateway running from the unpacked wheel (no checkout, no
sdk-js/ beside it) serves /sdk/v1/gateway.min.js."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import gateway
from tests.support.configs import write_config
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "sdk-js" / "dist"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (DIST / "gateway.min.js").is_file(), reason="SDK not built: make sdk"),
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert len(list(out.glob("*.tar.gz"))) == 1
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_carries_the_sdk_the_licence_and_the_version(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in ("gateway.min.js", "gateway.esm.js", "snippet.min.js", "banner.min.js"):
            assert archive.read(f"gateway/sdk/{name}") == (DIST / name).read_bytes()
        info = f"consent_gateway-{gateway.__version__}.dist-info"
        assert f"{info}/licenses/LICENSE" in names
        metadata = archive.read(f"{info}/METADATA").decode()
    assert f"Version: {gateway.__version__}" in metadata
    assert "Apache-2.0" in metadata
    assert not any(n.startswith(("tests/", "sdk-js/")) for n in names)


@pytest.fixture
def unpacked(wheel: Path, tmp_path: Path) -> Iterator[Path]:
    """A pure-Python wheel installed by unpacking it (its dependencies come from this venv)."""
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    yield target


def test_a_gateway_from_the_wheel_serves_the_sdk(unpacked: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(unpacked)}  # ahead of the checkout's editable path
    where = subprocess.run(
        [sys.executable, "-c", "import gateway; print(gateway.__file__)"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.strip() == str(unpacked / "gateway" / "__init__.py")
    argv = ["serve", "--config", str(config), "--port", str(port)]
    with (tmp_path / "gateway.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", *argv], env=env, cwd=tmp_path, stdout=log, stderr=log
        )
    try:
        answer = fetch(f"http://127.0.0.1:{port}/sdk/v1/gateway.min.js", process)
    finally:
        process.terminate()
        process.wait(20)
    assert answer.status_code == 200, (tmp_path / "gateway.log").read_text()
    assert answer.content == (DIST / "gateway.min.js").read_bytes()


def fetch(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    for _ in range(400):
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            if process.poll() is not None:
                raise
            time.sleep(0.05)
    raise AssertionError("the gateway did not start")
