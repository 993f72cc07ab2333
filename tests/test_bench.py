"""The benchmarks send what they claim: every event of every request a distinct messageId
(so deduplication never shortcuts the work being measured)."""

from __future__ import annotations

import orjson

from bench import profile


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
