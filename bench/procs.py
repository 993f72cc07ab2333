"""The processes a benchmark run starts, each in its own session so that stopping it stops
its children too (uvicorn's worker processes); `Processes.close()` ends every one of them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


class StartError(RuntimeError):
    """A process did not become ready; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._running: dict[int, tuple[subprocess.Popen[bytes], Path]] = {}

    def start(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> int:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                list(argv), cwd=ROOT, env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self._running[proc.pid] = (proc, log)
        return proc.pid

    def running(self) -> list[int]:
        return list(self._running)

    def alive(self, pid: int) -> bool:
        return self._running[pid][0].poll() is None

    def wait_exit(self, pid: int, timeout: float) -> int | None:
        try:
            return self._running[pid][0].wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def tail(self, pid: int, lines: int = 15) -> str:
        text = self._running[pid][1].read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_http(self, pid: int, url: str, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive(pid):
                raise StartError(f"exited before answering {url}:\n{self.tail(pid)}")
            if _answers(url):
                return
            time.sleep(0.1)
        raise StartError(f"no 200 from {url} within {timeout:.0f} s:\n{self.tail(pid)}")

    def interrupt(self, pid: int) -> None:
        """Ctrl-C to the process itself, not its group (py-spy then writes its samples)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)

    def stop(self, pid: int, grace: float = 10.0) -> None:
        proc, _ = self._running.pop(pid)
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
        # uvicorn's workers share the session; make sure none outlives its supervisor.
        _signal_group(proc.pid, signal.SIGKILL)

    def close(self) -> None:
        for pid in list(self._running):
            self.stop(pid, grace=5.0)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU time of one process, or of one of its threads (Linux /proc), 0 when
    unavailable."""
    where = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    try:
        fields = Path(where).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """CPU time of every live process in a process group (a uvicorn supervisor and its
    workers): user + system, threads included."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def uvicorn_argv(app: str, port: int, workers: int) -> list[str]:
    """The bare app under the same uvicorn settings `gateway serve` uses."""
    return [
        PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--log-level", "warning", "--no-access-log",
        "--no-server-header", "--no-proxy-headers",
    ]  # fmt: skip


def gateway_argv(command: str, config: Path, *extra: str) -> list[str]:
    return [PYTHON, "-m", "gateway", command, "--config", str(config), *extra]


def start_redis(procs: Processes, data_dir: Path, replica_of: int | None = None) -> tuple[int, int]:
    """redis-server on a free loopback port with an fsync-always AOF (a replica of the
    server on port `replica_of`, if given); returns (pid, port)."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    replication = ["--replicaof", "127.0.0.1", str(replica_of)] if replica_of else []
    pid = procs.start("redis", [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
        "--save", "", "--appendonly", "yes", "--appendfsync", "always",
        "--maxmemory-policy", "noeviction", "--daemonize", "no",
        "--repl-diskless-sync-delay", "0", *replication,
    ])  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _redis_ping(port):
            return pid, port
        if not procs.alive(pid):
            break
        time.sleep(0.1)
    raise StartError(f"redis-server did not answer PING:\n{procs.tail(pid)}")


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
