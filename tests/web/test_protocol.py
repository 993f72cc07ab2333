"""The HTTP protocol layer of a real `gateway serve` process: header size and count limits
(431), a deadline for the head and for a silent connection, one transfer coding, and
hundreds of slow connections that leave everyone else answered."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.web.protocol import HeldHead
from tests.support.configs import SERVER_KEY, write_config
from tests.support.processes import GatewayProcess

HEAD_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    server = {
        "max_header_bytes": 8192,
        "max_header_fields": 50,
        "header_timeout_seconds": HEAD_TIMEOUT,
    }
    directory = write_config(tmp_path_factory.mktemp("protocol"), gateway={"server": server})
    process = GatewayProcess(directory, args=("--no-worker",))
    try:
        yield process.start()
    finally:
        process.stop()


def connect(gateway: GatewayProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", gateway.port), timeout=HEAD_TIMEOUT + 5)


def exchange(gateway: GatewayProcess, raw: bytes) -> bytes:
    """Send `raw`, read until the server closes."""
    with connect(gateway) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(raw)
        return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_an_oversized_header_is_431_and_the_connection_closes(gateway: GatewayProcess) -> None:
    raw = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    response = exchange(gateway, raw)
    assert status(response) == 431
    assert b"connection: close" in response.lower()


def test_too_many_header_fields_is_431(gateway: GatewayProcess) -> None:
    fields = b"".join(b"X-%d: 1\r\n" % i for i in range(60))  # small, but 60 > 50
    response = exchange(gateway, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert status(response) == 431
    assert b"too many header fields" in response


def test_a_head_within_the_limits_is_answered(gateway: GatewayProcess) -> None:
    fields = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 100) for i in range(40))
    raw = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + fields + b"\r\n"
    assert status(exchange(gateway, raw)) == 200


@pytest.mark.parametrize("coding", [b"gzip, chunked", b"chunked, chunked", b"identity"])
def test_only_chunked_transfer_coding_is_accepted(gateway: GatewayProcess, coding: bytes) -> None:
    body = b'{"type":"track","event":"x","anonymousId":"a"}'
    raw = (
        b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Basic " + _basic(SERVER_KEY) + b"\r\n"
        b"Transfer-Encoding: "
        + coding
        + b"\r\n\r\n"
        + b"%x\r\n" % len(body)
        + body
        + b"\r\n0\r\n\r\n"
    )
    response = exchange(gateway, raw)
    assert status(response) in (400, 501), response[:200]


def test_plain_chunked_still_works(gateway: GatewayProcess) -> None:
    body = b'{"type":"track","event":"x","anonymousId":"a"}'
    raw = (
        b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nAuthorization: Basic " + _basic(SERVER_KEY) + b"\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    )
    assert status(exchange(gateway, raw)) == 200


def test_a_silent_connection_is_closed(gateway: GatewayProcess) -> None:
    started = time.monotonic()
    with connect(gateway) as sock:
        assert read_all(sock) == b""
    assert time.monotonic() - started < HEAD_TIMEOUT + 2


def test_half_a_request_line_gets_408(gateway: GatewayProcess) -> None:
    started = time.monotonic()
    with connect(gateway) as sock:
        sock.sendall(b"GET /heal")
        response = read_all(sock)
    assert status(response) == 408
    assert time.monotonic() - started < HEAD_TIMEOUT + 2


def test_the_head_deadline_runs_from_each_heads_start_on_a_kept_alive_connection(
    gateway: GatewayProcess,
) -> None:
    """One timer per connection, moved on when it fires early: a second head started
    late in the first deadline still gets a whole deadline of its own, and no more."""
    with connect(gateway) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while not first.endswith(b'{"status":"ok"}'):  # the head and body may come apart
            first += sock.recv(65536)
        assert status(first) == 200
        time.sleep(HEAD_TIMEOUT * 0.6)
        started = time.monotonic()
        sock.sendall(b"GET /heal")
        response = read_all(sock)
    waited = time.monotonic() - started
    assert status(response) == 408
    assert HEAD_TIMEOUT - 0.3 < waited < HEAD_TIMEOUT + 2


def test_400_slow_connections_leave_others_answered(gateway: GatewayProcess) -> None:
    pid = gateway.process.pid if gateway.process else 0
    before = rss_bytes(pid)
    slow: list[socket.socket] = []
    try:
        for _ in range(400):
            sock = connect(gateway)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(sock)
        timings = []
        with httpx.Client(base_url=gateway.url, timeout=5) as client:
            for _ in range(100):
                started = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                timings.append(time.perf_counter() - started)
                for sock in slow[:50]:  # a trickle keeps them sending
                    sock.send(b"a")
        p99 = statistics.quantiles(timings, n=100)[98]
        grown = rss_bytes(pid) - before
        print(f"400 slow connections: healthz p99 {p99 * 1000:.1f} ms, RSS +{grown >> 10} KiB")
        assert p99 < 0.1, f"healthz p99 {p99 * 1000:.1f} ms under 400 slow connections"
        assert rss_bytes(pid) - before < 40 * 1024 * 1024
        deadline = time.monotonic() + HEAD_TIMEOUT + 3
        closed = 0
        for sock in slow:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            if status(read_all(sock)) == 408:
                closed += 1
        assert closed == 400
    finally:
        for sock in slow:
            sock.close()


def test_oversized_headers_do_not_grow_memory(gateway: GatewayProcess) -> None:
    pid = gateway.process.pid if gateway.process else 0
    before = rss_bytes(pid)
    socks = [connect(gateway) for _ in range(10)]
    try:
        chunk = b"a" * 65536
        for sock in socks:
            sock.sendall(b"GET / HTTP/1.1\r\nX-Big: ")
            with contextlib.suppress(OSError):
                for _ in range(160):  # 10 MB each, unless the server stops reading
                    sock.sendall(chunk)
        assert rss_bytes(pid) - before < 20 * 1024 * 1024
    finally:
        for sock in socks:
            sock.close()


def _basic(key: str) -> bytes:
    import base64

    return base64.b64encode(f"{key}:".encode())


class Recording:
    """A transport that records each write (a send() call)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return name


async def test_a_head_leaves_with_its_body_in_one_write() -> None:
    transport = Recording()
    held = HeldHead(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
    held.write(b"HTTP/1.1 200 OK\r\n\r\n")
    assert transport.writes == []
    held.write(b"{}")
    assert transport.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    await asyncio.sleep(0)
    assert transport.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]


async def test_a_lone_write_leaves_on_the_loops_next_turn_or_before_a_close() -> None:
    transport = Recording()
    held = HeldHead(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
    held.write(b"head")
    await asyncio.sleep(0)
    assert transport.writes == [b"head"]
    held.write(b"tail")
    assert held.get_extra_info("peername") == "peername"  # anything else flushes first
    held.write(b"last")
    held.close()
    assert (transport.writes, transport.closed) == ([b"head", b"tail", b"last"], True)


async def test_nothing_is_written_to_a_closing_transport() -> None:
    transport = Recording()
    held = HeldHead(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
    held.write(b"head")
    transport.closed = True
    await asyncio.sleep(0)
    assert transport.writes == []
