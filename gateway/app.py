"""create_app(): the explicit route list and the lifespan that builds stores and clients.
With `gateway/cli/`, the only importer of the runtime (the composition root)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from html import escape
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from gateway import __version__, maintenance
from gateway.admin.auth import authorize
from gateway.admin.routes import routes as admin_routes
from gateway.config.loader import Config
from gateway.console import api as console_api
from gateway.console import routes as console_pages
from gateway.console.service import Console
from gateway.delivery.worker import DeliveryWorker
from gateway.destinations.registry import read_config
from gateway.errors import Refused, StoreUnavailable
from gateway.ingest.routes import handlers as ingest_handlers
from gateway.ingest.routes import routes as ingest_routes
from gateway.ingest.sdk import routes as sdk_routes
from gateway.privacy.page import new_nonce
from gateway.privacy.routes import routes as privacy_routes
from gateway.runtime import Gateway, Runtime
from gateway.store.types import Store
from gateway.supervisor import signal_siblings
from gateway.web.limits import authenticated
from gateway.web.responses import refusal, store_unavailable

log = logging.getLogger("gateway")
ASGIHandler = Callable[[Scope, Receive, Send], Awaitable[None]]


INDEX = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>consent gateway</title><style nonce="{nonce}">body{{font:16px/1.5 system-ui,sans-serif;
max-width:40rem;margin:2rem auto}}</style></head><body><h1>consent gateway</h1>
<p>Policy version {version}. {destinations} destination(s) configured.</p><ul>
{demo}<li><a href="/privacy/preferences">Privacy choices</a> (preference center)</li>
<li><a href="/privacy/external-transmission">Information sent to outside services</a></li>
<li><a href="/sdk/v1/gateway.min.js">The browser SDK</a></li>
<li><a href="/readyz">Readiness</a> and <a href="/metrics">metrics</a></li></ul>
<p>Events go to <code>POST /v1/track</code>, <code>/v1/page</code>, <code>/v1/identify</code>,
<code>/v1/batch</code> (Segment-compatible).</p></body></html>"""


async def index(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    config = runtime.config
    demo = '<li><a href="/demo">Demo page</a></li>\n' if config.gateway.demo.enabled else ""
    nonce = new_nonce()
    html = INDEX.format(
        version=escape(config.policy.version),
        destinations=len(runtime.destinations),
        demo=demo,
        nonce=nonce,
    )
    policy = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'none'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return HTMLResponse(html, headers={"content-security-policy": policy})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        await runtime.store.ping()
    except StoreUnavailable:
        return JSONResponse({"status": "unavailable", "store": "unreachable"}, 503)
    return JSONResponse({"status": "ready", "policy_version": runtime.config.policy.version})


async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    if runtime.config.gateway.admin.protect_metrics:
        try:
            await _metrics_reader(request, runtime)
        except Refused as exc:
            return refusal(exc)
        except StoreUnavailable:
            return store_unavailable()
    if request.app.state.worker is None:
        # An edge-only node (serve --no-worker) still reports the shared queue's state.
        await refresh_queue_gauges(runtime)
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def _metrics_reader(request: Request, runtime: Runtime) -> str:
    peer = request.client.host if request.client else None
    address = runtime.client_address.resolve(peer, request.headers)
    gateway = runtime.config.gateway

    async def check() -> str:
        return authorize(request.headers.get("authorization"), gateway.admin.tokens, "metrics")

    limit = gateway.rate_limits.failed_auth_per_ip
    return await authenticated(runtime.store.limiter, address, limit, check)


async def refresh_queue_gauges(runtime: Runtime) -> None:
    try:
        stats = await runtime.store.outbox.stats(list(runtime.destinations))
    except StoreUnavailable:
        return
    for name, value in stats.items():
        runtime.metrics.queue_depth.labels(destination=name).set(value.pending)
        runtime.metrics.queue_oldest.labels(destination=name).set(value.oldest_age_seconds)
        runtime.metrics.dead_letter_depth.labels(destination=name).set(value.dead_letters)


async def openapi_json(request: Request) -> Response:
    from gateway.openapi import document

    return JSONResponse(document(__version__))


class GatewayApp(Starlette):
    """Starlette, except that a POST or OPTIONS to an ingest path goes straight to its
    handler, a plain ASGI app (one dict lookup): Starlette's middleware, its router's
    regex match over every route and its Request and Response objects cost a single
    event more than the rest of the edge did. The handler answers its own errors (an
    unexpected one with a JSON 500, as ServerErrorMiddleware did, in plain text)."""

    def __init__(self, fast: dict[str, dict[str, ASGIHandler]], **settings: Any) -> None:
        super().__init__(**settings)
        self.fast = fast

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            by_method = self.fast.get(route_path(scope))
            handler = by_method.get(scope["method"]) if by_method is not None else None
            if handler is not None:
                scope["app"] = self
                await handler(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def route_path(scope: Scope) -> str:
    """The path Starlette's router matches: without the proxy's root_path, when the path
    starts with it (starlette._utils.get_route_path)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path


def route_list(
    reload: Callable[[], Awaitable[dict[str, Any]]],
    ingest: dict[str, dict[str, ASGIHandler]] | None = None,
) -> list[BaseRoute]:
    """Every route; `ingest`: the ingest handlers the app also calls before Starlette."""
    console = Console(reload)
    return [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/openapi.json", openapi_json),
        *ingest_routes(ingest if ingest is not None else ingest_handlers()),
        *privacy_routes(),
        *admin_routes(reload),
        *console_api.routes(console),
        *console_pages.routes(console),
        *sdk_routes(),
    ]


def create_app(
    config: Config | str | Path,
    *,
    store: Store | None = None,
    run_worker: bool | None = None,
) -> Starlette:
    if not isinstance(config, Config):
        config = read_config(config)
    gateway = Gateway(config, store=store, run_worker=run_worker)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.runtime = await gateway.start()
        _freeze_startup_objects()
        tasks = []
        stop = asyncio.Event()
        if gateway.run_worker:
            app.state.worker = DeliveryWorker(gateway.current)
            tasks.append(asyncio.create_task(app.state.worker.run()))
            tasks.append(asyncio.create_task(maintenance.run(gateway.current, stop)))
        _install_reload_signal(app, gateway)
        try:
            yield
        finally:
            stop.set()
            if app.state.worker is not None:
                app.state.worker.stop()
            await asyncio.gather(*tasks)
            await gateway.stop()

    async def reload() -> dict[str, Any]:
        """POST /admin/reload: this process, then (under `serve --workers N`) the others,
        each checking the files anew."""
        problems = _reload(app, gateway)
        if problems:
            return {"reloaded": False, "problems": problems}
        siblings = signal_siblings()
        summary = gateway.current().config.summary()
        return {"reloaded": True, "all_workers": siblings, "summary": summary}

    ingest = ingest_handlers()
    app = GatewayApp(ingest, routes=route_list(reload, ingest), lifespan=lifespan)
    app.state.gateway = gateway
    app.state.worker = None
    return app


GC_YOUNG = 10_000
"""Objects allocated, net of those freed, before a young collection (Python's default: 700)."""


def _freeze_startup_objects() -> None:
    """Move what start-up built (config, policy tables, parsers: long-lived) out of the
    garbage collector's view, and make full collections rare (a hundredth as often as
    Python's default): each walked every event in flight and, under two clients posting
    500 KiB batches, stopped the loop for 50-230 ms about once a second.

    Young collections wait for GC_YOUNG objects. A batch of 50 events holds about 5,000
    containers until its answer, and at 700 a young collection ran every seven events,
    walking all of them: 4.6-5.2 µs of every event's CPU, for no garbage (an event's
    objects hold no cycles; they go by reference count when the request ends). At 10,000
    one young collection ran in 40,000 events of batches of 50."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, 10, 1000)  # Python's default: (700, 10, 10)


def _reload(app: Starlette, gateway: Gateway) -> list[str]:
    problems = gateway.reload()
    app.state.runtime = gateway.current()
    return problems


def _install_reload_signal(app: Starlette, gateway: Gateway) -> None:
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, _reload, app, gateway)
