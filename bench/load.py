"""wrk runs: the request files the Lua script rotates, and the parsed result of one run."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from bench import events
from bench.procs import Processes

SCRIPT = Path(__file__).with_name("events.lua")
SERVER_AGENT = "analytics-node/2.1.0 (bench)"


@dataclass(frozen=True)
class Workload:
    name: str
    data: Path
    auth: str
    events_per_request: int


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "requests_per_s": round(self.rps, 1)}


def write_singles(path: Path, pool: list[dict[str, Any]]) -> Path:
    """One request per event, each to its own endpoint with its browser's User-Agent."""
    lines = [
        f"/v1/{e['type']}\t{e['context']['userAgent']}\t".encode() + orjson.dumps(e) for e in pool
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def write_batches(path: Path, pool: list[dict[str, Any]], count: int, size: int) -> Path:
    prefix = f"/v1/batch\t{SERVER_AGENT}\t".encode()
    lines = [prefix + body for body in events.batches(pool, count, size)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def run(
    procs: Processes, port: int, workload: Workload, seconds: float, connections: int
) -> WrkResult:
    tag = secrets.token_hex(4)
    argv = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
        "-s", str(SCRIPT), f"http://127.0.0.1:{port}/",
        "--", str(workload.data), workload.auth, tag,
    ]  # fmt: skip
    pid = procs.start(f"wrk-{workload.name}-{tag}", argv)
    status = procs.wait_exit(pid, seconds + 30)
    output = procs.tail(pid, 40)
    procs.stop(pid)
    if status != 0:
        raise RuntimeError(f"wrk failed (exit {status}):\n{output}")
    return _parse(output)


def _parse(output: str) -> WrkResult:
    line = next((x for x in output.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    socket_errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors"))
    return WrkResult(
        requests=int(raw["requests"]),
        seconds=raw["duration_us"] / 1e6,
        non_2xx=int(raw["non_2xx"]),
        socket_errors=int(socket_errors + raw["timeouts"]),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
    )
