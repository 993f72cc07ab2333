"""`gateway serve --workers N`: uvicorn's process supervisor, with SIGHUP meaning what it
means for one process — reload the config in place — rather than replacing the workers.

Each worker reloads on SIGHUP (see `app.py`): it keeps its running config when the new one
does not load or changes a section that takes a restart. The parent forwards its SIGHUP to
every worker, and `POST /admin/reload`, answered by one worker, signals the parent so its
siblings reload too.
"""

from __future__ import annotations

import logging
import os
import signal

import uvicorn
from uvicorn.supervisors import Multiprocess

log = logging.getLogger("gateway.supervisor")

PARENT_ENV = "GATEWAY_SUPERVISOR_PID"


class ReloadingSupervisor(Multiprocess):
    def handle_hup(self) -> None:
        pids = [process.pid for process in self.processes if process.pid is not None]
        log.info("SIGHUP: asking %d worker processes to reload the config", len(pids))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGHUP)
            except ProcessLookupError:  # died meanwhile; its replacement reads the files
                continue


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
