"""End-to-end fixtures: a real gateway process shared by the session (it takes seconds to
start), loopback receivers, a static site on its own origin, real headless Chromium, the
built browser SDK, and the Segment clients installed from npm."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.e2e.site import StaticSite
from tests.e2e.stack import Stack, stack_config
from tests.support.configs import write_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk-js"
CLIENTS = Path(__file__).resolve().parent / "clients"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("node/npm are not on PATH: the SDK build and the npm clients need Node 20")
    return npm


def _run(argv: list[str], cwd: Path, what: str) -> None:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(
            f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )


def _stale(outputs: list[Path], inputs: list[Path]) -> bool:
    if not all(o.is_file() for o in outputs):
        return True
    return max(i.stat().st_mtime for i in inputs) > min(o.stat().st_mtime for o in outputs)


@pytest.fixture(scope="session")
def sdk_dist() -> Path:
    """sdk-js/dist, built when missing or older than its sources."""
    dist = SDK / "dist"
    outputs = [dist / n for n in ("gateway.min.js", "gateway.esm.js", "snippet.min.js")]
    if _stale(outputs, [*SDK.glob("src/*.js"), SDK / "snippet.js", SDK / "build.mjs"]):
        npm = _npm()
        if not (SDK / "node_modules").is_dir():
            _run([npm, "ci", "--no-audit", "--no-fund"], SDK, "npm ci in sdk-js")
        _run([npm, "run", "--silent", "build"], SDK, "building sdk-js")
    return dist


@pytest.fixture(scope="session")
def node_clients() -> Path:
    """tests/e2e/clients with @segment/analytics-node and -next installed by `npm ci`."""
    marker = CLIENTS / "node_modules" / ".package-lock.json"
    if not marker.is_file() or _stale([marker], [CLIENTS / "package-lock.json"]):
        _run([_npm(), "ci", "--no-audit", "--no-fund"], CLIENTS, "npm ci in tests/e2e/clients")
    elif shutil.which("node") is None:
        pytest.skip("node is not on PATH: the Segment clients run on Node 20")
    return CLIENTS


@pytest.fixture(scope="session")
def site() -> Iterator[StaticSite]:
    server = StaticSite()
    yield server
    server.close()


@pytest.fixture(scope="session")
def stack(
    site: StaticSite, sdk_dist: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    analytics, ads = Receiver(), Receiver()
    folder = tmp_path_factory.mktemp("e2e-gateway")
    feed = folder / "demo-feed.jsonl"
    config = write_config(
        folder / "config", **stack_config(site.origin, analytics.url, ads.url, feed)
    )
    gateway = GatewayProcess(config)
    try:
        gateway.start()
        yield Stack(gateway, analytics, ads)
    finally:
        gateway.stop()
        analytics.close()
        ads.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()
