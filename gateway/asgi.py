"""The ASGI app `gateway serve` runs (also under `uvicorn --workers N gateway.asgi:app`):
configured from GATEWAY_CONFIG_DIR, so every worker process builds its own."""

from __future__ import annotations

import contextlib
import os
import signal

from gateway.app import create_app

# Until the app's startup installs its reload handler, a SIGHUP (a reload asked for while
# this worker starts) must not end the process, which is SIGHUP's default.
with contextlib.suppress(AttributeError, ValueError):  # no SIGHUP here, or not the main thread
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

app = create_app(
    os.environ.get("GATEWAY_CONFIG_DIR", "configs"),
    run_worker=os.environ.get("GATEWAY_RUN_WORKER", "1") != "0",
)
