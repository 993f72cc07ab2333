"""`gateway worker`: delivery without the HTTP edge."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from gateway.app import Gateway
from gateway.config.loader import Config
from gateway.delivery.worker import DeliveryWorker


async def run_worker(config: Config) -> None:
    gateway = Gateway(config, run_worker=True)
    await gateway.start()
    worker = DeliveryWorker(gateway.current)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, worker.stop)
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGHUP, gateway.reload)
    try:
        await worker.run()
    finally:
        await gateway.stop()
