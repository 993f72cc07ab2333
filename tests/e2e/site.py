"""A static web site on its own origin (http://localhost:<port>), so pages that talk to the
gateway (http://127.0.0.1:<port>) do so cross-site, as a customer's shop would."""

from __future__ import annotations

import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class StaticSite:
    """Serves pages added with `add()` and the files under each mounted folder."""

    def __init__(self) -> None:
        self._pages: dict[str, tuple[bytes, str]] = {}
        self._mounts: dict[str, Path] = {}
        self.paths_served: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                site.paths_served.append(path)
                found = site._find(path)
                if found is None:
                    self._answer(404, b"not found", "text/plain")
                else:
                    self._answer(200, *found)

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.send_header("cache-control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.origin = f"http://localhost:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def add(self, path: str, html: str) -> str:
        """Publishes an HTML page; returns its URL."""
        self._pages[path] = (html.encode(), "text/html; charset=utf-8")
        return self.origin + path

    def mount(self, prefix: str, folder: Path) -> None:
        self._mounts[prefix.rstrip("/") + "/"] = folder.resolve()

    def _find(self, path: str) -> tuple[bytes, str] | None:
        if path in self._pages:
            return self._pages[path]
        for prefix, folder in self._mounts.items():
            if not path.startswith(prefix):
                continue
            file = (folder / path.removeprefix(prefix)).resolve()
            if file.is_relative_to(folder) and file.is_file():
                kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                return file.read_bytes(), kind
        return None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
