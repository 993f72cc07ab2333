"""The benchmarks send what they claim: every event of every request a distinct messageId
(so deduplication never shortcuts the work being measured)."""

from __future__ import annotations

import orjson
import pytest

from bench import profile, sampling


def test_the_profile_gives_every_event_of_every_batch_its_own_message_id() -> None:
    requests, per = profile.requests(batch=True)
    ids: list[str] = []
    for serial, (_, _, template) in enumerate(requests[:10]):
        batch = orjson.loads(profile.with_ids(template, serial))["batch"]
        assert len(batch) == per == 50
        ids += [event["messageId"] for event in batch]
    assert len(set(ids)) == len(ids) == 500


def test_the_profile_gives_single_events_their_own_message_id() -> None:
    requests, per = profile.requests(batch=False)
    bodies = [profile.with_ids(template, n) for n, (_, _, template) in enumerate(requests)]
    ids = [orjson.loads(body)["messageId"] for body in bodies]
    assert per == 1 and len(set(ids)) == len(ids) == len(requests)


def test_the_sampling_profile_puts_each_sample_in_the_stage_of_its_deepest_known_frame() -> None:
    compiled = {"walk": "gateway/policy/forbidden/walk.py", "spec": "gateway/intake/spec.py"}
    attribution = sampling.Attribution(compiled)
    route = "collect (gateway/ingest/routes.py:79)"
    raw = "\n".join([
        f"run (uvicorn/server.py:10);{route};CPyDef_walk___Scrubber___scrub 7",
        f"run (uvicorn/server.py:10);{route};CPyPy_spec___parse_json;PyDict_New 2",
        f"run (uvicorn/server.py:10);{route};orjson_dumps 3",
        f"{route};CPyDef_walk___Scrubber____dict (__native_f8701dc.c:123);Py_DECREF 1",
        "_find_and_load (<frozen importlib._bootstrap>:1176);<module> (gateway/app.py:3) 9",
        "LifespanOn.main (uvicorn/lifespan/on.py:86);Gateway.start (gateway/runtime.py:150);"
        "UserAgentParser.__init__ (gateway/enrich/useragent.py:51) 11",
        "run (uvicorn/server.py:10);H11Protocol.data_received (uvicorn/h11.py:5) 5",
        "_bootstrap (threading.py:9);Writer._run (gateway/store/sqlite/writer.py:80);"
        "Outbox.write (gateway/store/sqlite/outbox.py:40) 4",
        f"{route};Limiter.charge (gateway/store/redis/limiter.py:30);RedisStore.call "
        "(gateway/store/redis/store.py:145);Redis.execute_command (redis/asyncio/client.py:6) 6",
        "Limiter.charge (gateway/store/redis/limiter.py:30);RedisStore.call "
        "(gateway/store/redis/store.py:145) 2",
        "not a sample line",
    ])  # fmt: skip
    counts = attribution.count(raw)
    assert counts == {
        "policy: forbidden-data walk": 8,
        "parse + validate (Spec)": 2,
        "edge: headers, body, response": 3,
        sampling.SERVER: 5,
        sampling.WRITER: 4,
        "Redis client (redis-py, hiredis)": 6,
        "rate limits": 2,
    }
    assert sum(sampling.shares(counts).values()) == pytest.approx(1.0, abs=1e-3)


def test_the_sampling_profile_knows_every_compiled_module_by_its_mypyc_name() -> None:
    modules = sampling.compiled_modules()
    assert modules["walk"] == "gateway/policy/forbidden/walk.py"
    assert modules["detectors___media"] == "gateway/policy/forbidden/detectors/media.py"
    attribution = sampling.Attribution(modules)
    for name, path in modules.items():
        assert attribution.stage_of_frame(f"CPyDef_{name}___Class___method") is not None, path
    assert attribution.stage_of_frame("CPyDef_route___projection___Projection___apply") == (
        "route: projection, categories, transforms"
    )
    assert attribution.stage_of_frame("CPyDef_unknown___f") is None
