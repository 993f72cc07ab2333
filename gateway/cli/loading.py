"""What the commands share: the `--config` option, loading a config (problems printed, exit
1), and a started runtime for the commands that read or change the store."""

from __future__ import annotations

import argparse
import contextlib
import logging.config
import sys
from collections.abc import AsyncIterator

from gateway.config.loader import Config
from gateway.destinations.registry import read_config
from gateway.errors import ConfigError
from gateway.observability.logs import uvicorn_log_config
from gateway.runtime import Gateway, Runtime


def config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="configs", help="config directory (default: configs)")


def load_or_exit(directory: str) -> Config:
    try:
        return read_config(directory)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {directory}", file=sys.stderr)
        raise SystemExit(1) from None


@contextlib.asynccontextmanager
async def started(config: Config) -> AsyncIterator[Runtime]:
    """The runtime an operator command works on: the store and keys, no delivery."""
    gateway = Gateway(config, run_worker=False)
    runtime = await gateway.start()
    try:
        yield runtime
    finally:
        await gateway.stop()


def configure_logging(level: str) -> None:
    logging.config.dictConfig(uvicorn_log_config(level))
