"""The ASGI app `gateway serve` runs (also under `uvicorn --workers N gateway.asgi:app`):
configured from GATEWAY_CONFIG_DIR, so every worker process builds its own."""

from __future__ import annotations

import os

from gateway.app import create_app

app = create_app(
    os.environ.get("GATEWAY_CONFIG_DIR", "configs"),
    run_worker=os.environ.get("GATEWAY_RUN_WORKER", "1") != "0",
)
