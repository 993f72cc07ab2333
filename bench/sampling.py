"""Where the server's CPU goes, by stage: a sampling profile of the real gateway (1 process,
SQLite and Redis, HTTP under wrk) taken with py-spy.

py-spy samples native frames too, so functions compiled with mypyc are seen by name
(`CPyDef_walk___Scrubber___scrub`), not folded into their Python caller. Each sample
goes to the stage of its deepest frame that belongs to one; samples in no stage are the
HTTP server's (uvicorn, httptools, Starlette, asyncio). Only the thread holding the GIL is
sampled (`--gil`): the event loop's work, not the SQLite writer thread waiting on its
commit. A stage's CPU per event is its share of the samples times the event loop thread's
CPU per event during the profiled run (sampling pauses the server, so its rate is not
reported)."""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import configs, ingest, load
from bench.procs import ROOT, Processes, cpu_seconds, free_port, gateway_argv, start_redis

RATE = 250  # samples per second
SERVER = "HTTP server: uvicorn, Starlette, asyncio"
WRITER = "SQLite writer thread (commit, fsync)"
LIMITER = "gateway/store/redis/limiter.py"
# (stage, path prefixes): a frame belongs to the first stage whose prefix its file
# (relative to the project or to site-packages) has.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("parse + validate (Spec)", ("gateway/intake/spec.py",)),
    ("rate limits", ("gateway/web/limits.py", "gateway/store/sqlite/limiter.py", LIMITER)),
    ("edge: headers, body, response", ("gateway/ingest/", "gateway/web/")),
    ("intake: stamp, dedupe, plan", ("gateway/intake/", "gateway/plans/")),
    ("enrich: user agent, geo", ("gateway/enrich/", "user_agents/", "ua_parser", "maxminddb/")),
    ("policy: forbidden-data walk", ("gateway/policy/forbidden/",)),
    ("policy: consent, ad IDs, identifiers", ("gateway/policy/",)),
    ("route: projection, categories, transforms", ("gateway/route/", "gateway/destinations/")),
    ("preferences lookup", ("gateway/store/sqlite/preferences", "gateway/store/redis/preferences")),
    ("outbox enqueue (loop side)", ("gateway/store/",)),
    ("Redis client (redis-py, hiredis)", ("redis/", "hiredis/")),
    ("metrics", ("gateway/observability/", "prometheus_client/")),
    ("subject token", ("gateway/privacy/",)),
]
# The store's one door to Redis serves the outbox, the limiter and the preferences: its
# frames are passed over, so a sample there counts for the caller's stage.
PASSED_OVER = ("gateway/store/redis/store.py",)
IMPORTING = "(<frozen importlib._bootstrap>"
# Start-up and shutdown run in uvicorn's lifespan task (building the user-agent resolver
# alone is ~30 samples): not a request's CPU, so not counted.
LIFESPAN = "LifespanOn.main ("
PYTHON_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
# mypyc's C names: CPyDef_<module>___<function> or CPyPy_... (the Python-callable wrapper),
# where <module> is the shortest unique tail of the dotted name, `___`-joined
# (detectors___media, walk).
COMPILED_FRAME = re.compile(r"^CPy(?:Def|Py)_(?P<name>\w+?)(?: \(.*\))?$")


@dataclass(frozen=True)
class Profile:
    workload: str
    samples: int
    shares: dict[str, float]  # stage -> share of the samples
    loop_cpu_us_per_event: float | None  # the server's main thread, during the profiled run

    def as_dict(self) -> dict[str, Any]:
        return {"workload": self.workload, "samples": self.samples, "shares": self.shares,
                "loop_cpu_us_per_event": self.loop_cpu_us_per_event}  # fmt: skip


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def compiled_modules() -> dict[str, str]:
    """Every tail of each compiled module's dotted name, as mypyc writes it (`media`,
    `detectors___media`) -> the source's path, from pyproject's compiled list."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    out: dict[str, str] = {}
    for path in pyproject["tool"]["gateway"]["compiled"]:
        parts = Path(path).with_suffix("").parts
        for start in range(len(parts)):
            out.setdefault("___".join(parts[start:]), path)
    return out


class Attribution:
    """Sample stacks (py-spy's raw format: frames root first, `;`-separated, then a count)
    to stages."""

    def __init__(self, compiled: dict[str, str]) -> None:
        self._compiled = compiled
        self._cache: dict[str, str | None] = {}

    def stage_of_frame(self, frame: str) -> str | None:
        if frame not in self._cache:
            self._cache[frame] = self._stage(self._file_of(frame))
        return self._cache[frame]

    def stage_of_stack(self, stack: str) -> str:
        if "(gateway/store/sqlite/writer.py" in stack and "threading.py" in stack:
            return WRITER  # the store's frames, but not the event loop's CPU
        for frame in reversed(stack.split(";")):
            stage = self.stage_of_frame(frame)
            if stage is not None:
                return stage
        return SERVER

    def count(self, raw: str) -> Counter[str]:
        """Samples per stage; those of imports and of the lifespan task (the server's
        start-up, sampled from its launch, and its shutdown) are left out."""
        counts: Counter[str] = Counter()
        for line in raw.splitlines():
            stack, _, number = line.rpartition(" ")
            if stack and number.isdigit() and IMPORTING not in stack and LIFESPAN not in stack:
                counts[self.stage_of_stack(stack)] += int(number)
        return counts

    def _file_of(self, frame: str) -> str | None:
        compiled = COMPILED_FRAME.match(frame)
        if compiled:
            parts = compiled.group("name").split("___")
            for end in range(len(parts) - 1, 0, -1):  # the longest module name first
                path = self._compiled.get("___".join(parts[:end]))
                if path is not None:
                    return path
            return None
        python = PYTHON_FRAME.match(frame)
        return python.group("file") if python else None

    @staticmethod
    def _stage(file: str | None) -> str | None:
        if file is None:
            return None
        where = file.replace("\\", "/").rpartition("site-packages/")[2]
        where = where.removeprefix(f"{ROOT.as_posix()}/")
        if where.startswith(PASSED_OVER):
            return None
        for stage, prefixes in STAGES:
            if where.startswith(prefixes):
                return stage
        return None


def shares(counts: Counter[str]) -> dict[str, float]:
    total = sum(counts.values())
    return {stage: round(n / total, 4) for stage, n in counts.most_common()} if total else {}


def profile_workload(
    procs: Processes, work: Path, workload: load.Workload, seconds: float, spy: str, backend: str
) -> Profile:
    """Starts the gateway under py-spy on `backend` ("sqlite" or "redis"), loads it with wrk
    and attributes the samples."""
    directory = work / f"sampled-{backend}-{workload.name}"
    redis = None
    if backend == "redis":
        redis, redis_port = start_redis(procs, directory / "redis-data")
        storage = configs.redis_storage(redis_port)
    else:
        storage = configs.sqlite_storage(directory)
    configs.write(directory, storage, configs.ingest_destinations(directory, free_port()))
    port = free_port()
    output = directory / "samples.txt"
    argv = [spy, "record", "--native", "--gil", "--rate", str(RATE), "--format", "raw",
            "--output", str(output), "--",
            *gateway_argv("serve", directory, "--port", str(port), "--workers", "1",
                          "--no-worker", "--log-level", "warning")]  # fmt: skip
    name = f"sampled-{backend}-{workload.name}"
    pid = procs.start(name, argv, {configs.KEY_ENV: configs.KEY_VALUE})
    try:
        procs.wait_http(pid, f"http://127.0.0.1:{port}/readyz")
        server = _child(pid)
        connections = 32 if workload.events_per_request == 1 else 8
        before = cpu_seconds(server, thread=server)  # the event loop's thread
        result = load.run(procs, port, workload, seconds, connections)
        used = cpu_seconds(server, thread=server) - before
        procs.interrupt(pid)  # py-spy writes its samples on Ctrl-C
        procs.wait_exit(pid, 60)
    finally:
        procs.stop(pid)
        if redis is not None:
            procs.stop(redis)
    counts = Attribution(compiled_modules()).count(output.read_text())
    events = result.requests * workload.events_per_request
    per_event = round(used / events * 1e6, 1) if events else None
    return Profile(workload.name, sum(counts.values()), shares(counts), per_event)


def _child(pid: int) -> int:
    """The server py-spy started (its only child)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(children[0])


def run(
    procs: Processes, work: Path, pool: list[dict[str, Any]], seconds: float, with_redis: bool
) -> dict[str, Any]:
    """Per backend, a profile of each workload (single events, batches)."""
    spy = py_spy()
    if spy is None:
        return {"skipped": "py-spy is not installed (pip install -e '.[dev]')"}
    backends = ["sqlite", "redis"] if with_redis else ["sqlite"]
    profiles = {
        backend: [
            profile_workload(procs, work, workload, seconds, spy, backend).as_dict()
            for workload in ingest.workloads(work, pool)
        ]
        for backend in backends
    }
    return {"rate_hz": RATE, "profiles": profiles}
