"""`gateway serve`: the HTTP gateway (and, by default, delivery) under uvicorn; with
`--workers N`, under the reloading supervisor."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from gateway.cli.ledger import positive
from gateway.cli.loading import LOG_LEVELS, config_arg, configure_logging, load_or_exit, port
from gateway.observability.logs import uvicorn_log_config
from gateway.web.protocol import guarded_protocol


def add(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the HTTP gateway (and, by default, delivery)")
    config_arg(serve)
    serve.add_argument("--host", help="listen address (default: server.host)")
    serve.add_argument("--port", type=port, help="listen port (default: server.port)")
    serve.add_argument("--workers", type=positive, default=1, help="HTTP worker processes (1)")
    serve.add_argument("--no-worker", action="store_true", help="edge only: do not deliver")
    serve.add_argument("--log-level", default="info", choices=LOG_LEVELS, help="(info)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    config = load_or_exit(args.config)
    host = args.host or config.gateway.server.host
    port = args.port or config.gateway.server.port
    configure_logging(args.log_level)
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
        "http": guarded_protocol(config.gateway.server),
    }
    if args.workers > 1:
        from gateway.supervisor import run_workers

        run_workers(uvicorn.Config("gateway.asgi:app", **settings))
    else:
        uvicorn.run("gateway.asgi:app", **settings)
    return 0
