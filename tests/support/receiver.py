"""A real HTTP receiver on 127.0.0.1 that records what it gets and answers as scripted:
a status (with headers), a hang, or a closed connection."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 200
    """What the receiver answered."""

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    close: bool = False
    body: bytes = b"{}"


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.arrived = 0  # requests whose body was read, answered or not (a hang counts)
        self._script: deque[Answer] = deque()
        self.default = Answer()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each answer waits ~40 ms for a delayed ACK

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:
                    # The sender went away mid-body (a gateway killed with -9 while sending):
                    # no request arrived, and there is nobody to answer.
                    self.close_connection = True
                    return
                with receiver._lock:
                    receiver.arrived += 1
                answer = receiver._next()
                if answer.close:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if answer.hang:
                    time.sleep(answer.hang)
                with receiver._lock:
                    receiver.requests.append(
                        Received(
                            "POST",
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            answer.status,
                        )
                    )
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def script(self, *answers: Answer) -> None:
        with self._lock:
            self._script.extend(answers)

    def _next(self) -> Answer:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def events(self) -> list[Any]:
        """Every event received, unwrapping webhook batches."""
        out = []
        for request in list(self.requests):
            body = request.json()
            if isinstance(body, dict) and "batch" in body:
                out.extend(item["event"] for item in body["batch"])
            else:
                out.append(body)
        return out

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.events()
            if len(events) >= count:
                return events
            time.sleep(0.02)
        raise AssertionError(f"receiver got {len(self.events())} events, expected {count}")

    def wait_arrived(self, count: int, timeout: float = 15.0) -> None:
        """Until `count` requests have arrived, including ones still hanging."""
        deadline = time.monotonic() + timeout
        while self.arrived < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.arrived} requests arrived, expected {count}")
            time.sleep(0.01)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
