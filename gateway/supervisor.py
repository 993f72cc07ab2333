"""`gateway serve --workers N`: uvicorn's process supervisor, with SIGHUP meaning what it
means for one process — reload the config in place — rather than replacing the workers.

Each worker reloads on SIGHUP (see `app.py`): it keeps its running config when the new one
does not load or changes a section that takes a restart. The parent forwards its SIGHUP to
every worker, and `POST /admin/reload`, answered by one worker, signals the parent so its
siblings reload too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

log = logging.getLogger("gateway.supervisor")

PARENT_ENV = "GATEWAY_SUPERVISOR_PID"


class ReloadingSupervisor(Multiprocess):
    """Passes SIGHUP to each worker that has finished starting (its handler is installed in
    the app's startup; before that the signal would end it). A worker still starting gets
    the signal once it is ready, in case it read the files before they changed."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets=sockets)
        self._owed: set[int] = set()  # pids of workers that were starting at a SIGHUP

    def handle_hup(self) -> None:
        log.info("SIGHUP: asking the worker processes to reload the config")
        self._owed.update(p.pid for p in self.processes if p.pid is not None)
        self._pay()

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        if self._owed:
            self._pay()

    def _pay(self) -> None:
        running = {p.pid: p for p in self.processes if p.pid is not None}
        self._owed &= running.keys()  # a replaced worker's successor reads the files anew
        for pid in list(self._owed):
            if running[pid].is_ready(timeout=1):
                self._owed.discard(pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGHUP)


def run_workers(config: uvicorn.Config) -> None:
    """Serve with `config.workers` processes on one socket until SIGINT/SIGTERM."""
    os.environ[PARENT_ENV] = str(os.getpid())  # inherited by the workers
    sock = config.bind_socket()
    try:
        ReloadingSupervisor(config, sockets=[sock]).run()
    finally:
        sock.close()


def signal_siblings() -> bool:
    """From a worker: have the parent pass a reload on to every worker. False when this
    process has no such parent (one process, or another supervisor)."""
    parent = os.environ.get(PARENT_ENV)
    if parent is None or parent != str(os.getppid()):
        return False
    os.kill(int(parent), signal.SIGHUP)
    return True
