"""`gateway worker`: delivery (and retention) without the HTTP edge."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from prometheus_client import start_http_server

from gateway import maintenance
from gateway.cli.loading import config_arg, configure_logging, load_or_exit
from gateway.config.loader import Config
from gateway.delivery.worker import DeliveryWorker
from gateway.runtime import Gateway


def add(commands: Any) -> None:
    worker = commands.add_parser("worker", help="run delivery only")
    config_arg(worker)
    worker.add_argument("--log-level", default="info")
    worker.add_argument("--metrics-port", type=int, help="serve /metrics on this port")
    worker.add_argument("--metrics-host", default="127.0.0.1", help="address for --metrics-port")


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    configure_logging(args.log_level)
    asyncio.run(run_worker(config, args.metrics_port, args.metrics_host))
    return 0


async def run_worker(config: Config, metrics_port: int | None = None, host: str = "") -> None:
    gateway = Gateway(config, run_worker=True)
    runtime = await gateway.start()
    if metrics_port is not None:
        # A worker has no HTTP edge: its delivery metrics get a listener of their own.
        start_http_server(metrics_port, addr=host or "127.0.0.1", registry=runtime.metrics.registry)
    worker = DeliveryWorker(gateway.current)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, worker.stop)
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGHUP, gateway.reload)
    retention = asyncio.create_task(maintenance.run(gateway.current, stop))
    try:
        await worker.run()
    finally:
        stop.set()
        await retention
        await gateway.stop()
