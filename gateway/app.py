"""create_app(): the explicit route list and the lifespan that builds stores and clients."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from html import escape
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway import maintenance
from gateway.config.loader import Config, load_config
from gateway.delivery.worker import DeliveryWorker
from gateway.destinations.registry import HttpClients
from gateway.enrich.useragent import UserAgentParser
from gateway.errors import ConfigError, StoreUnavailable
from gateway.ingest.routes import routes as ingest_routes
from gateway.observability.metrics import Metrics
from gateway.runtime import Resources, Runtime, build_runtime, gateway_key, open_geo
from gateway.store.factory import open_store
from gateway.store.types import Store

log = logging.getLogger("gateway")


INDEX = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>consent gateway</title></head><body style="font:16px/1.5 system-ui,sans-serif;
max-width:40rem;margin:2rem auto"><h1>consent gateway</h1>
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
    html = INDEX.format(
        version=escape(config.policy.version), destinations=len(runtime.destinations), demo=demo
    )
    return HTMLResponse(html)


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
    if request.app.state.gateway.worker is None:
        # An edge-only node (serve --no-worker) still reports the shared queue's state.
        await refresh_queue_gauges(runtime)
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def refresh_queue_gauges(runtime: Runtime) -> None:
    try:
        stats = await runtime.store.outbox.stats(list(runtime.destinations))
    except StoreUnavailable:
        return
    for name, value in stats.items():
        runtime.metrics.queue_depth.labels(destination=name).set(value.pending)
        runtime.metrics.queue_oldest.labels(destination=name).set(value.oldest_age_seconds)
        runtime.metrics.dead_letter_depth.labels(destination=name).set(value.dead_letters)


def route_list() -> list[BaseRoute]:
    from gateway.ingest.sdk import routes as sdk_routes
    from gateway.privacy.routes import routes as privacy_routes

    return [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        *ingest_routes(),
        *privacy_routes(),
        *sdk_routes(),
    ]


class Gateway:
    """Holds the live runtime so a reload can swap it (SIGHUP or POST /admin/reload)."""

    def __init__(
        self, config: Config, *, store: Store | None = None, run_worker: bool | None = None
    ) -> None:
        self.config = config
        self._store = store
        self.run_worker = config.gateway.worker.in_process if run_worker is None else run_worker
        self.runtime: Runtime | None = None
        self.worker: DeliveryWorker | None = None

    def current(self) -> Runtime:
        if self.runtime is None:
            raise RuntimeError("gateway not started")
        return self.runtime

    async def start(self) -> Runtime:
        store = self._store or await open_store(self.config)
        delivery = self.config.gateway.delivery
        resources = Resources(
            store=store,
            metrics=Metrics(),
            key=await gateway_key(self.config, store),
            user_agents=UserAgentParser(),
            geo=open_geo(self.config),
            http=HttpClients.create(delivery.timeout_seconds, delivery.concurrency * 16),
        )
        self.runtime = build_runtime(self.config, resources)
        return self.runtime

    def reload(self) -> list[str]:
        """Load the config directory again; on any problem keep the running config."""
        runtime = self.current()
        try:
            config = load_config(runtime.config.directory)
            _same_resources(runtime.config, config)
            fresh = build_runtime(config, runtime.resources)
        except ConfigError as exc:
            log.error("config reload refused, keeping the running config:\n%s", exc)
            return exc.problems
        self.runtime = fresh
        log.info("config reloaded: %s", config.summary())
        return []

    async def stop(self) -> None:
        if self.runtime is None:
            return
        resources = self.runtime.resources
        await resources.http.aclose()
        await resources.store.aclose()
        close = getattr(resources.geo, "close", None)
        if close is not None:
            close()


RESTART_SECTIONS = ("storage", "geo", "secrets", "server")


def _same_resources(old: Config, new: Config) -> None:
    """Sections that shape the long-lived resources take a restart, not a reload: say so
    instead of silently keeping the old ones."""
    changed = [
        name
        for name in RESTART_SECTIONS
        if getattr(old.gateway, name) != getattr(new.gateway, name)
    ]
    if changed:
        raise ConfigError(
            [f"gateway.yaml: {name}: changed; it takes a restart, not a reload" for name in changed]
        )


def create_app(
    config: Config | str | Path,
    *,
    store: Store | None = None,
    run_worker: bool | None = None,
) -> Starlette:
    if not isinstance(config, Config):
        config = load_config(config)
    gateway = Gateway(config, store=store, run_worker=run_worker)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.runtime = await gateway.start()
        tasks = []
        stop = asyncio.Event()
        if gateway.run_worker:
            gateway.worker = DeliveryWorker(gateway.current)
            tasks.append(asyncio.create_task(gateway.worker.run()))
            tasks.append(asyncio.create_task(maintenance.run(gateway.current, stop)))
        _install_reload_signal(app, gateway)
        try:
            yield
        finally:
            stop.set()
            if gateway.worker is not None:
                gateway.worker.stop()
            await asyncio.gather(*tasks)
            await gateway.stop()

    app = Starlette(routes=route_list(), lifespan=lifespan)
    app.state.gateway = gateway
    return app


def _install_reload_signal(app: Starlette, gateway: Gateway) -> None:
    def reload() -> None:
        gateway.reload()
        app.state.runtime = gateway.current()

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)
