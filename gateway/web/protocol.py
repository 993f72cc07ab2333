"""uvicorn's httptools protocol with the limits it lacks: the size and number of a
request's header fields (431, connection closed), a deadline for the whole head and for a
new connection's first byte (408 / close), and one transfer coding, `chunked`.

A subclass, not another server or uvicorn's h11 protocol: httptools buffers a head of any
size and has no count or deadline (h11 bounds the size only, and is several times slower);
the rest of the stack (the supervisor, lifespan, logging) stays uvicorn's. What it relies
on of uvicorn — the parser callbacks, `send_400_response`, `data_received` — is covered by
tests/web/test_protocol.py against a real server process.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from gateway.config.schema import ServerConfig

END_OF_HEAD = b"\r\n\r\n"
TRANSFER_ENCODING_LENGTH = len(b"transfer-encoding")
LINGER_SECONDS = 1.0  # after an error response: read and discard, then close


@dataclass(frozen=True, slots=True)
class HeadLimits:
    max_bytes: int = 32 * 1024
    max_fields: int = 100
    timeout_seconds: float = 10.0


class HeadRefused(Exception):
    """Raised inside a parser callback to stop parsing; carries the answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class HeldHead:
    """The connection's transport as uvicorn's response cycle writes to it: a write is held
    until the next one, which takes it along, or until the loop's next turn. uvicorn writes
    a response's head and body apart (two send() calls, two TCP segments); the head of a
    small answer now leaves with its body."""

    __slots__ = ("_held", "_loop", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._held = b""

    def write(self, data: bytes) -> None:
        if self._held:
            data, self._held = self._held + data, b""
            self.transport.write(data)
        elif data:
            self._held = data
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        held, self._held = self._held, b""
        if held and not self.transport.is_closing():
            self.transport.write(held)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        self.flush()
        return getattr(self.transport, name)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, limits: HeadLimits = HeadLimits(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._in_head = True
        self._head_bytes = 0
        self._head_tail = b""
        self._fields = 0
        self._codings = 0
        self._refusal: HeadRefused | None = None
        self._stopped: HeadRefused | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_deadline: float | None = None
        """When the head being read must be complete; None between heads. The timer is
        armed once and moved on when it fires early, not re-armed for every request."""
        self._writes: HeldHead | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._writes = HeldHead(transport, self.loop)
        self._start_head()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return  # lingering after an error response: discard
        if self._in_head and not self._head_fits(data):
            self._refuse(HeadRefused(431, "request header fields too large"))
            return
        super().data_received(data)

    def _head_fits(self, data: bytes) -> bool:
        """Whether the head ends within the limit (the chunk may carry the body too)."""
        room = self.limits.max_bytes - self._head_bytes
        fits = len(data) <= room or END_OF_HEAD in self._head_tail + data[: max(room, 0)]
        self._head_bytes += len(data)
        self._head_tail = data[-3:]
        return fits

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._fields = 0
        self._codings = 0
        if self._head_deadline is None:  # else: a new connection's deadline still runs
            self._start_head()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields += 1
        if self._fields > self.limits.max_fields:
            self._stop(431, f"too many header fields (limit {self.limits.max_fields})")
        if len(name) == TRANSFER_ENCODING_LENGTH and name.lower() == b"transfer-encoding":
            self._codings += 1
            if self._codings > 1 or value.strip(b" \t").lower() != b"chunked":
                self._stop(501, "unsupported Transfer-Encoding: only chunked is accepted")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_deadline = None
        super().on_headers_complete()
        if self.cycle is not None:  # its task has not run yet
            self.cycle.transport = self._writes  # type: ignore[assignment]

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0
        self._head_tail = b""

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error; a callback's refusal is answered as itself."""
        self._refuse(self._stopped or HeadRefused(400, msg))

    def _stop(self, status: int, message: str) -> None:
        """Stop the parser from a callback (httptools turns the exception into a parser
        error, which uvicorn answers through send_400_response)."""
        self._stopped = HeadRefused(status, message)
        raise self._stopped

    def _refuse(self, refusal: HeadRefused) -> None:
        if self._refusal is not None or self.transport.is_closing():
            return
        self._refusal = refusal
        self._cancel_head_timer()
        if self._writes is not None:
            self._writes.flush()  # a held answer goes before the refusal
        self._unset_keepalive_if_required()
        body = refusal.message.encode()
        head = [STATUS_LINE[refusal.status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        # Half-close and keep reading a moment: closing with unread input would reset the
        # connection and the client might never see the answer.
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _start_head(self) -> None:
        self._head_deadline = self.loop.time() + self.limits.timeout_seconds
        if self._head_timer is None:
            self._head_timer = self.loop.call_at(self._head_deadline, self._head_expired)

    def _cancel_head_timer(self) -> None:
        self._head_deadline = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        deadline = self._head_deadline
        if self.transport.is_closing() or deadline is None:
            return  # no head is being read: the next one arms the timer again
        if self.loop.time() < deadline:  # a later head than the one the timer was armed for
            self._head_timer = self.loop.call_at(deadline, self._head_expired)
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._head_deadline = None
            self._start_head()  # a pipelined head waits while a response is written
            return
        if self._head_bytes == 0:
            self.transport.close()  # idle: nothing was asked, nothing to answer
            return
        self._refuse(HeadRefused(408, "request head not received in time"))


def guarded_protocol(server: ServerConfig) -> Any:
    """What `uvicorn.Config(http=...)` takes: the protocol class bound to the configured
    limits (a partial of a module-level class, so `serve --workers N` can pickle it)."""
    limits = HeadLimits(
        server.max_header_bytes, server.max_header_fields, server.header_timeout_seconds
    )
    return functools.partial(GuardedHttpToolsProtocol, limits=limits)
