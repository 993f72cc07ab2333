"""A TCP relay on a free loopback port in front of a redis-server, able to cut the
replication stream alone: `hold()` makes every replica link through it (a connection whose
client sent PSYNC) drop what the master sends from then on, while the connection stays up
and clients' connections keep working. A network partition between master and replica,
without root or iptables: what the master acknowledges afterwards never reaches the
replica."""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.support.processes import free_port


class Relay:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.held = threading.Event()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self) -> None:
        self.held.set()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), 2)
            except OSError:
                client.close()
                continue
            self._sockets += [client, upstream]
            link = {"replica": False}
            threading.Thread(
                target=self._pump, args=(client, upstream, link, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, link, False), daemon=True
            ).start()

    def _pump(
        self, source: socket.socket, target: socket.socket, link: dict[str, bool], up: bool
    ) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if up and b"PSYNC" in data:
                    link["replica"] = True
                if not up and link["replica"] and self.held.is_set():
                    continue  # the stream to the replica is lost on the way
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        for sock in self._sockets:
            sock.close()
