"""The `gateway` command: serve | worker | check | explain | tcf | ledger | deadletter | dsar."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.config
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gateway.config.loader import Config, load_config
from gateway.errors import ConfigError
from gateway.observability.logs import uvicorn_log_config


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="configs", help="config directory (default: configs)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="consent gateway")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP gateway (and, by default, delivery)")
    _config_arg(serve)
    serve.add_argument("--host", help="listen address (default: server.host)")
    serve.add_argument("--port", type=int, help="listen port (default: server.port)")
    serve.add_argument("--workers", type=int, default=1, help="HTTP worker processes")
    serve.add_argument("--no-worker", action="store_true", help="edge only: do not deliver")
    serve.add_argument("--log-level", default="info")

    worker = commands.add_parser("worker", help="run delivery only")
    _config_arg(worker)
    worker.add_argument("--log-level", default="info")
    worker.add_argument("--metrics-port", type=int, help="serve /metrics on this port")
    worker.add_argument("--metrics-host", default="127.0.0.1", help="address for --metrics-port")

    check = commands.add_parser("check", help="validate the config directory")
    _config_arg(check)

    from gateway.commands import add_commands

    add_commands(commands, _config_arg)
    return parser


def load_or_exit(directory: str) -> Config:
    try:
        return load_config(directory)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {directory}", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_check(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    print(config.summary())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    config = load_or_exit(args.config)
    host = args.host or config.gateway.server.host
    port = args.port or config.gateway.server.port
    _logging(args.log_level)
    os.environ["GATEWAY_CONFIG_DIR"] = str(Path(args.config).resolve())
    os.environ["GATEWAY_RUN_WORKER"] = "0" if args.no_worker else "1"
    print(f"consent gateway listening on http://{host}:{port}/", flush=True)
    settings: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": args.workers,
        "log_level": args.log_level,
        "log_config": uvicorn_log_config(args.log_level),
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
    }
    if args.workers > 1:
        from gateway.supervisor import run_workers

        run_workers(uvicorn.Config("gateway.asgi:app", **settings))
    else:
        uvicorn.run("gateway.asgi:app", **settings)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from gateway.delivery.standalone import run_worker

    config = load_or_exit(args.config)
    _logging(args.log_level)
    asyncio.run(run_worker(config, args.metrics_port, args.metrics_host))
    return 0


def _logging(level: str) -> None:
    logging.config.dictConfig(uvicorn_log_config(level))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"serve": cmd_serve, "worker": cmd_worker, "check": cmd_check}
    if args.command in handlers:
        return handlers[args.command](args)
    from gateway.commands import run_command

    return run_command(args)
