"""`body.delivered` reads uvicorn's request cycle: a body already read by the server is
taken without arming the body deadline, one still coming is read under it. Checked
against a real uvicorn server (httptools, as `gateway serve` runs), on a real socket."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import uvicorn

from gateway.web.body import delivered, receive_body


async def _serve(seen: list[tuple[bool, bytes]]) -> tuple[uvicorn.Server, int]:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await asyncio.sleep(0.05)  # the parser has read what the first packet carried
        complete = delivered(receive)
        body = await receive_body(receive, 1 << 16, None, None)
        seen.append((complete, body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, http="httptools", loop="asyncio", lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    return server, sock.getsockname()[1]


async def _post(port: int, parts: list[bytes], pause: float) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for index, part in enumerate(parts):
        if index:
            await asyncio.sleep(pause)
        writer.write(part)
        await writer.drain()
    answer = await reader.read(4096)
    writer.close()
    return answer


@pytest.mark.asyncio
async def test_a_body_the_server_has_read_is_delivered_and_one_still_coming_is_not() -> None:
    seen: list[tuple[bool, bytes]] = []
    server, port = await _serve(seen)
    try:
        body = b'{"event":"Signed Up"}'
        head = b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
        assert (await _post(port, [head + body], 0)).startswith(b"HTTP/1.1 200")
        assert (await _post(port, [head + body[:5], body[5:]], 0.3)).startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        await asyncio.sleep(0.2)
    assert seen == [(True, body), (False, body)]


@pytest.mark.asyncio
async def test_a_receive_that_is_not_uvicorns_is_never_taken_as_delivered() -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    assert not delivered(receive)
    assert await receive_body(receive, 100, None, None) == b"{}"
