"""`python -m bench.profile [--batch]`: where the gateway's ingest CPU goes, per event.

Drives the gateway's ASGI app in-process (no sockets, no uvicorn: exactly what the gateway
adds over the bare endpoint) with concurrent requests against a SQLite outbox, under
cProfile. The SQLite writer thread is outside cProfile's view; its CPU time is read from
/proc and reported beside the profile."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from bench import configs, events, load

Request = tuple[str, bytes, bytes]

STAGES = [
    ("request total (ingest Collector)", "gateway/ingest/routes.py", "Collector.__call__"),
    ("read body", "gateway/web/body.py", "receive_body"),
    ("parse + validate", "gateway/intake/spec.py", "parse_json"),
    ("", "gateway/intake/spec.py", "events_from"),
    ("server fields (_stamp)", "gateway/intake/intake.py", "_stamp"),
    ("enrich (pipeline.prepare)", "gateway/intake/pipeline.py", "prepare"),
    ("preferences lookup", "gateway/store/", "get_many"),
    ("policy (engine.evaluate)", "gateway/policy/engine.py", "PolicyEngine.evaluate"),
    ("  forbidden-category scrub", "gateway/policy/forbidden/walk.py", "Scrubber.scrub"),
    ("  consent resolve", "gateway/policy/consent/resolver.py", "ConsentResolver.resolve"),
    ("route (router.route)", "gateway/route/router.py", "Router.route"),
    ("  allow-list projection", "gateway/route/projection.py", "Projection.apply"),
    ("  payload data categories", "gateway/route/datacategories.py", "categories_of_payload"),
    ("  transforms", "gateway/route/transforms.py", "apply"),
    ("outbox rows (pipeline.outbox_items)", "gateway/intake/pipeline.py", "outbox_items"),
    ("outbox enqueue (event-loop side)", "gateway/store/", "enqueue"),
    ("metrics (_count)", "gateway/ingest/routes.py", "_count"),
    ("subject token + cookie (_ok)", "gateway/ingest/routes.py", "_ok"),
]
"""(label, file, function): cumulative time per stage; an empty label adds to the row above.
A method is named with its class, so that it is found in a mypyc-compiled module too, where
cProfile sees no file, only `<method 'evaluate' of 'PolicyEngine' objects>`. A compiled
function called from compiled code is not seen at all (a direct C call): such rows read 0."""


def _is(where: str, name: str, file: str, function: str) -> bool:
    """Whether a pstats entry (file, function) is the stage's function, plain or compiled."""
    owner, _, bare = name.rpartition(".")
    if where in file and function == bare:
        return True
    if file != "~":  # compiled code and builtins have no file
        return False
    module = where.removesuffix(".py").replace("/", ".")
    if owner:
        return function == f"<method '{bare}' of '{owner}' objects>"
    return function == f"<built-in method {module}.{bare}>"


def requests(batch: bool) -> tuple[list[Request], int]:
    pool = events.events(300)
    if batch:
        bodies = events.batches(pool, 40, 50)
        key, per = configs.SERVER_KEY, 50
        out = [("/v1/batch", load.SERVER_AGENT.encode(), b) for b in bodies]
    else:
        key, per = configs.WEB_KEY, 1
        out = [(f"/v1/{e['type']}", e["context"]["userAgent"].encode(), orjson.dumps(e))
               for e in pool]  # fmt: skip
    auth = configs.basic_auth(key).encode()
    return [(p, ua + b"\x00" + auth, b) for p, ua, b in out], per


def _scope(path: str, agent_auth: bytes, body: bytes) -> dict[str, Any]:
    agent, auth = agent_auth.split(b"\x00")
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
        "headers": [(b"host", b"127.0.0.1:8080"), (b"authorization", auth),
                    (b"content-type", b"application/json"), (b"user-agent", agent),
                    (b"content-length", str(len(body)).encode())],
    }  # fmt: skip


def with_ids(template: bytes, serial: int) -> bytes:
    """The body with a messageId of its own for every event in it (a batch's 50 events
    sharing one would be dropped as in-batch duplicates, 49 of them unjudged)."""
    parts = template.split(events.MESSAGE_ID.encode())
    out = [parts[0]]
    for index, part in enumerate(parts[1:]):
        out += [f"prof-{serial}-{index}".encode(), part]
    return b"".join(out)


async def _one(app: Any, request: Request, counter: list[int], serial: int) -> None:
    path, agent_auth, template = request
    body = with_ids(template, serial)
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            counter[1] += 1

    await app(_scope(path, agent_auth, body), receive, send)
    counter[0] += 1


async def drive(app: Any, reqs: list[Request], total: int, concurrency: int, seed: int) -> int:
    counter = [0, 0]
    serial = iter(range(seed, seed + total))

    async def client(offset: int) -> None:
        for n in serial:
            await _one(app, reqs[(n + offset) % len(reqs)], counter, n)

    await asyncio.gather(*(client(i * 7) for i in range(concurrency)))
    if counter[1]:
        raise RuntimeError(f"{counter[1]} of {counter[0]} requests were not answered 200")
    return counter[0]


def writer_cpu() -> float:
    """CPU seconds of the SQLite writer thread(s) of this process."""
    total = 0.0
    for thread in threading.enumerate():
        if thread.name.startswith("sqlite-writer") and thread.native_id:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def profile(args: argparse.Namespace, work: Path) -> None:
    from gateway.app import create_app

    directory = configs.write(work, configs.sqlite_storage(work), configs.ingest_destinations(
        work, 9))  # fmt: skip
    app = create_app(directory, run_worker=False)
    reqs, per = requests(args.batch)
    async with app.router.lifespan_context(app):
        await drive(app, reqs, min(args.requests, 600), args.concurrency, 0)  # warm caches
        started, cpu, wcpu = time.perf_counter(), time.process_time(), writer_cpu()
        done = await drive(app, reqs, args.requests, args.concurrency, 10**6)
        wall, cpu, wcpu = (time.perf_counter() - started, time.process_time() - cpu,
                           writer_cpu() - wcpu)  # fmt: skip
        profiler = cProfile.Profile()
        profiler.enable()
        await drive(app, reqs, args.requests, args.concurrency, 2 * 10**6)
        profiler.disable()
    n_events = done * per
    print(
        f"unprofiled: {done} requests x {per} events in {wall:.2f} s wall = "
        f"{done / wall:,.0f} req/s, {n_events / wall:,.0f} events/s in-process (no HTTP)"
    )
    print(f"CPU per event: process {cpu / n_events * 1e6:.0f} us, of which SQLite writer "
          f"thread {wcpu / n_events * 1e6:.0f} us")  # fmt: skip
    report(profiler, n_events, args.top, (cpu - wcpu) / n_events * 1e6)


def stage_table(stats: pstats.Stats, main_us: float) -> list[str]:
    """Each stage's share of the profiled request time, scaled to unprofiled CPU."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    cumulative: list[tuple[str, float]] = []
    for label, where, name in STAGES:
        found = sum(v[3] for (f, _, fn), v in raw.items() if _is(where, name, f, fn))
        if label or not cumulative:
            cumulative.append((label, found))
        else:
            cumulative[-1] = (cumulative[-1][0], cumulative[-1][1] + found)
    total = cumulative[0][1] or 1.0
    lines = [f"{'stage':<38} {'share':>6} {'~us/event':>10}"]
    for label, seconds in cumulative:
        share = seconds / total
        lines.append(f"{label:<38} {share:>6.0%} {share * main_us:>10.0f}")
    return lines


def report(profiler: cProfile.Profile, n_events: int, top: int, main_us: float) -> None:
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"profiled main thread: {total / n_events * 1e6:.0f} us per event "
          "(cProfile overhead included)\n")  # fmt: skip
    print("\n".join(stage_table(stats, main_us)))
    print("(~us/event: the stage's share of profiled time x unprofiled event-loop CPU)\n")
    for key, title in (("tottime", "self time"), ("cumulative", "cumulative")):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(top)
        print(f"--- top {top} by {title} ---")
        print(_trim(out.getvalue()))


def _trim(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, x in enumerate(lines) if x.strip().startswith("ncalls")), 0)
    return "\n".join(x.replace(str(Path.cwd()) + "/", "") for x in lines[start:])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--batch", action="store_true", help="batches of 50 on /v1/batch")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    os.environ[configs.KEY_ENV] = configs.KEY_VALUE
    with tempfile.TemporaryDirectory(prefix="gateway-profile-") as work:
        asyncio.run(profile(args, Path(work)))


if __name__ == "__main__":
    main()
