"""A real `gateway serve` process stays responsive while two clients post maximum-size
batches: judging a batch yields to the event loop, so /healthz p99 stays under 50 ms."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.support.configs import SERVER_KEY, write_config
from tests.support.processes import GatewayProcess

MAX_BATCH_BYTES = 500 * 1024
# Two windows, the better one counts: the machine this runs on is shared, and one stall of
# another process's making must not decide. Before judging yielded, both were far over
# (p99 0.4-0.65 s).
WINDOWS = 2
WINDOW_SECONDS = 5.0


def max_size_batch() -> bytes:
    """Close to the 500 KiB default limit, in events shaped like real ones."""
    events: list[dict[str, object]] = []
    body = b""
    while True:
        event = {
            "type": "track",
            "event": "Product Viewed",
            "messageId": str(uuid.uuid4()),
            "anonymousId": str(uuid.uuid4()),
            "properties": {
                "sku": f"sku-{len(events)}",
                "price": 12.5,
                "list": [{"name": f"item {i}", "position": i} for i in range(12)],
                "description": "a plain product description " * 8,
            },
            "context": {
                "page": {"path": "/products/1", "url": "https://shop.example.com/products/1"},
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36",
                "locale": "ja-JP",
            },
        }
        candidate = orjson.dumps({"batch": [*events, event]})
        if len(candidate) > MAX_BATCH_BYTES - 1024:
            return body
        events.append(event)
        body = candidate if len(events) % 50 == 0 else orjson.dumps({"batch": events})


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    directory = write_config(tmp_path_factory.mktemp("fair"))
    process = GatewayProcess(directory, args=("--no-worker",))
    try:
        yield process.start()
    finally:
        process.stop()


def test_healthz_p99_under_50ms_while_two_clients_post_max_size_batches(
    gateway: GatewayProcess,
) -> None:
    body = max_size_batch()
    assert len(body) > 400 * 1024
    stop = threading.Event()
    posted: list[int] = []

    def post_batches() -> None:
        with httpx.Client(base_url=gateway.url, timeout=30) as client:
            while not stop.is_set():
                response = client.post(
                    "/v1/batch",
                    content=body,
                    auth=(SERVER_KEY, ""),
                    headers={"content-type": "application/json"},
                )
                posted.append(response.status_code)

    posters = [threading.Thread(target=post_batches) for _ in range(2)]
    for thread in posters:
        thread.start()
    windows: list[list[float]] = []
    try:
        time.sleep(0.5)
        with httpx.Client(base_url=gateway.url, timeout=10) as client:
            for _ in range(WINDOWS):
                windows.append(healthz_timings(client, WINDOW_SECONDS))
    finally:
        stop.set()
        for thread in posters:
            thread.join(30)
    assert posted and set(posted) == {200}, posted[:5]
    assert len(posted) >= 4  # the batches were really being judged meanwhile
    p99s = [statistics.quantiles(timings, n=100)[98] for timings in windows]
    medians = [statistics.median(timings) for timings in windows]
    print(f"healthz medians {[round(m * 1000, 1) for m in medians]} ms, "
          f"p99s {[round(p * 1000, 1) for p in p99s]} ms, "
          f"{len(posted)} batches of {len(body)} bytes")  # fmt: skip
    assert min(p99s) < 0.05, f"/healthz p99 {[round(p * 1000) for p in p99s]} ms"


def healthz_timings(client: httpx.Client, seconds: float) -> list[float]:
    timings = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        timings.append(time.perf_counter() - started)
        time.sleep(0.02)
    return timings
