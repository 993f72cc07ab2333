"""Store faults through a real `gateway serve` process: a full disk and lost database files
make /readyz answer 503, the cause is logged once when it starts and once when it clears
(never per refused request), and lost files are recreated once their directory is usable."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.configs import SERVER_KEY, webhook, write_config
from tests.support.processes import GatewayProcess
from tests.support.redis_server import RedisServer

BATCH = {
    "batch": [
        {"type": "track", "event": "x", "anonymousId": f"a-{i}", "properties": {"p": "v" * 200}}
        for i in range(200)
    ]
}


def post(process: GatewayProcess) -> int:
    response = httpx.post(process.url + "/v1/batch", json=BATCH, auth=(SERVER_KEY, ""), timeout=15)
    return response.status_code


def ready(process: GatewayProcess) -> int:
    return httpx.get(process.url + "/readyz", timeout=15).status_code


def eventually(check: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def lines(process: GatewayProcess, text: str) -> list[str]:
    return [line for line in process.log().splitlines() if text in line]


def serve(config_dir: Path, data: Path) -> GatewayProcess:
    storage = {"backend": "sqlite", "path": str(data / "gateway.db")}
    hook = webhook("hook", "http://127.0.0.1:9/events")  # --no-worker: it stays queued
    directory = write_config(config_dir, gateway={"storage": storage}, destinations=[hook])
    return GatewayProcess(directory, args=("--no-worker",)).start()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 24 MiB filesystem (tmpfs), so the disk really fills."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root (CAP_SYS_ADMIN)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write until the filesystem has no byte left."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_is_unready_logged_once_and_recovers(tmp_path: Path, small_disk: Path) -> None:
    process = serve(tmp_path / "config", small_disk / "data")
    try:
        assert post(process) == 200
        filler = fill(small_disk)
        codes = [post(process) for _ in range(30)]
        assert set(codes) == {503}, codes
        assert ready(process) == 503
        assert ready(process) == 503
        assert len(lines(process, "unavailable: disk full")) == 1, process.log()[-2000:]
        filler.unlink()
        assert eventually(lambda: ready(process) == 200)
        assert post(process) == 200
        assert len(lines(process, "available again")) == 1
        assert len(lines(process, "unavailable: disk full")) == 1
    finally:
        process.stop()


def test_lost_database_files_are_unready_then_recreated(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process = serve(tmp_path / "config", data)
    try:
        assert post(process) == 200
        shutil.move(data, tmp_path / "moved-away")  # the files and their directory are gone
        assert post(process) == 503
        assert ready(process) == 503
        assert post(process) == 503
        assert len(lines(process, "unavailable: ")) == 1, process.log()[-2000:]
        data.mkdir()  # usable again: the store recreates its files
        assert eventually(lambda: ready(process) == 200)
        assert post(process) == 200
        assert (data / "gateway.db").exists()
        assert len(lines(process, "reopened the SQLite store")) == 1
        assert len(lines(process, "available again")) == 1
    finally:
        process.stop()


def test_deleted_database_files_are_recreated_in_place(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process = serve(tmp_path / "config", data)
    try:
        assert post(process) == 200
        for path in data.glob("gateway*.db*"):
            if not path.name.endswith(".key"):
                path.unlink()
        assert eventually(lambda: post(process) == 200)
        assert ready(process) == 200
        assert "removed or replaced" in "".join(lines(process, "unavailable: "))
    finally:
        process.stop()


def test_delivery_says_once_that_it_paused_and_once_that_it_resumed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    storage = {"backend": "sqlite", "path": str(data / "gateway.db")}
    hook = webhook("hook", "http://127.0.0.1:9/events")
    directory = write_config(tmp_path / "config", gateway={"storage": storage}, destinations=[hook])
    process = GatewayProcess(directory).start()  # with the in-process delivery worker
    try:
        shutil.move(data, tmp_path / "moved-away")
        assert eventually(lambda: bool(lines(process, "store unavailable, pausing")))
        time.sleep(4.5)  # the worker retries every 2 s meanwhile
        assert len(lines(process, "store unavailable, pausing")) == 1
        data.mkdir()
        assert eventually(lambda: bool(lines(process, "store available, resuming")))
        assert len(lines(process, "unavailable: ")) == 1
    finally:
        process.stop()


def test_a_redis_outage_is_logged_once_and_its_end_too(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    storage = {"backend": "redis", "url": redis.url}
    hook = webhook("hook", "http://127.0.0.1:9/events")
    settings = {"storage": storage, "secrets": {"key_env": "FAULTS_TEST_KEY"}}
    directory = write_config(tmp_path / "config", gateway=settings, destinations=[hook])
    env = {"FAULTS_TEST_KEY": "f" * 64}
    process = GatewayProcess(directory, args=("--no-worker",), env=env).start()
    try:
        assert post(process) == 200
        redis.kill()
        assert [post(process) for _ in range(10)] == [503] * 10
        assert ready(process) == 503
        assert len(lines(process, "Redis store unavailable")) == 1, process.log()[-2000:]
        redis.start()
        assert eventually(lambda: post(process) == 200)
        assert ready(process) == 200
        assert len(lines(process, "Redis store available again")) == 1
    finally:
        process.stop()
        redis.stop()
