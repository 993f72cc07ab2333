"""The live debugger's buffer: bounded, short-lived, newest first, fed to listeners."""

from __future__ import annotations

from gateway.observability.debugger import DebugBuffer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_buffer_keeps_the_newest_within_its_size_and_lifetime() -> None:
    clock = Clock()
    buffer = DebugBuffer(clock)
    for n in range(5):
        buffer.add({"source": "web" if n % 2 else "app", "n": n}, capacity=3, lifetime=60)
    assert [e["n"] for e in buffer.recent(60)] == [4, 3, 2]
    assert [e["n"] for e in buffer.recent(60, source="web")] == [3]
    assert [e["n"] for e in buffer.recent(60, limit=1)] == [4]
    ids = [e["id"] for e in buffer.recent(60)]
    assert ids == sorted(ids, reverse=True)
    clock.now += 61
    assert buffer.recent(60) == []


def test_listeners_get_each_new_entry_and_a_slow_one_is_bounded() -> None:
    buffer = DebugBuffer(Clock())
    queue = buffer.listen()
    for n in range(5):
        buffer.add({"source": "web", "n": n}, capacity=2, lifetime=60)
    assert queue.qsize() == 2  # it did not read: it loses events rather than grow
    assert queue.get_nowait()["n"] == 0
    buffer.unlisten(queue)
    buffer.add({"source": "web", "n": 9}, capacity=2, lifetime=60)
    assert queue.qsize() == 1
