"""The browser SDK served first-party (so sites need no third-party script host), the settings
document Segment's own SDKs fetch (so pointing them at the gateway is all it takes), and the
demo page `make run` shows newcomers."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.config.loader import Config
from gateway.config.schema import SourceConfig
from gateway.destinations.file import FileConfig
from gateway.enrich.geo import GeoLookup
from gateway.privacy.banner import banner_settings
from gateway.privacy.page import new_nonce
from gateway.privacy.texts import pick_language
from gateway.web.client import ClientAddress, country_of


class Configured(Protocol):
    """What these pages read of the running gateway."""

    config: Config
    client_address: ClientAddress

    @property
    def geo(self) -> GeoLookup | None: ...


# Installed from a wheel, the built SDK ships inside the package; in a checkout (and the
# container image) it is sdk-js/dist beside the package.
PACKAGED = Path(__file__).resolve().parents[1] / "sdk"
CHECKOUT = Path(__file__).resolve().parents[2] / "sdk-js" / "dist"
FILES = {"gateway.min.js", "gateway.esm.js", "snippet.min.js", "banner.min.js"}
CACHE = "public, max-age=604800, stale-while-revalidate=86400"


@dataclass(frozen=True)
class _Asset:
    body: bytes
    etag: str


def _load(name: str) -> _Asset | None:
    path = next((d / name for d in (PACKAGED, CHECKOUT) if (d / name).is_file()), None)
    if path is None:
        return None
    body = path.read_bytes()
    return _Asset(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


async def sdk_file(request: Request) -> Response:
    name = request.path_params["name"]
    asset = _load(name) if name in FILES else None
    if asset is None:
        return JSONResponse(
            {"success": False, "error": "SDK not built here: run `make sdk` (needs Node 20)"}, 404
        )
    headers = {"etag": asset.etag, "cache-control": CACHE, "access-control-allow-origin": "*"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type="text/javascript; charset=utf-8", headers=headers)


DEMO = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Consent gateway demo</title>
<style nonce="{nonce}">
body{{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}}
button{{font:inherit;margin:.25rem .5rem .25rem 0;padding:.4rem .8rem}}
pre{{background:#f4f4f4;padding:1rem;overflow:auto;font-size:.8rem}}</style></head><body>
<h1>Consent gateway demo</h1>
<p>This page loads the snippet from <code>/sdk/v1/gateway.min.js</code> with write key
<code>{key}</code>. Each button sends an event; the gateway strips what the policy forbids
and writes what each destination may receive to the files under <code>data/</code>
(shown below).</p>
<button id="view">Product Viewed</button><button id="order">Order Completed</button>
<button id="gps">Event with GPS (removed)</button><button id="prefs">Privacy choices</button>
<p id="status" role="status"></p>
<h2>Delivered to destinations</h2><pre id="feed">(nothing yet)</pre>
<script src="/sdk/v1/gateway.min.js"></script>
<script nonce="{nonce}">
const gw = window.consentGateway;
gw.init({{writeKey: {key_js}, endpoint: location.origin, flushAt: 1}});
gw.page('Demo');
const say = (t) => document.getElementById('status').textContent = t;
document.getElementById('view').onclick = () => {{
  gw.track('Product Viewed', {{product_id: 'sku-1', price: 1200, currency: 'JPY'}}); say('sent');}};
document.getElementById('order').onclick = () => {{
  gw.identify('demo-user', {{email: 'Demo.User@Example.com'}});
  gw.track('Order Completed', {{revenue: 3600, currency: 'JPY',
    products: [{{product_id: 'sku-1', price: 1200, quantity: 3}}]}}); say('sent');}};
document.getElementById('gps').onclick = () => {{
  gw.track('Store Searched', {{latitude: 35.6812, longitude: 139.7671, query: 'shoes'}});
  say('sent (latitude/longitude are removed at the gateway)');}};
document.getElementById('prefs').onclick = () => gw.preferences.open();
async function feed() {{
  const r = await fetch('/demo/feed'); if (r.ok) document.getElementById('feed').textContent =
    JSON.stringify(await r.json(), null, 1);
}}
setInterval(feed, 1500); feed();
</script></body></html>"""


def _demo_source(runtime: Configured) -> str | None:
    for source in runtime.config.sources:
        if source.kind == "web":
            return source.write_key
    return None


async def demo(request: Request) -> Response:
    runtime: Configured = request.app.state.runtime
    key = _demo_source(runtime)
    if not runtime.config.gateway.demo.enabled or key is None:
        return JSONResponse({"success": False, "error": "demo disabled"}, 404)
    nonce = new_nonce()
    html = DEMO.format(key=escape(key), key_js=orjson.dumps(key).decode(), nonce=nonce)
    headers = {"cache-control": "no-store", "content-security-policy": demo_csp(nonce)}
    return HTMLResponse(html, headers=headers)


def demo_csp(nonce: str) -> str:
    """The SDK from this origin, the page's own script by nonce; the banner the SDK draws
    sets inline styles."""
    return (
        f"default-src 'none'; script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


async def demo_feed(request: Request) -> Response:
    """The last lines each file destination wrote (demo mode only: it shows payloads)."""
    runtime: Configured = request.app.state.runtime
    if not runtime.config.gateway.demo.enabled:
        return JSONResponse({"success": False, "error": "demo disabled"}, 404)
    files = {d.name: Path(d.path) for d in runtime.config.destinations if isinstance(d, FileConfig)}
    feed = await asyncio.to_thread(_tails, files)
    return JSONResponse(feed, headers={"cache-control": "no-store"})


def _tails(files: dict[str, Path]) -> dict[str, list[object]]:
    feed: dict[str, list[object]] = {}
    for name, path in files.items():
        if path.is_file():
            feed[name] = [orjson.loads(line) for line in path.read_bytes().splitlines()[-10:]]
    return feed


SETTINGS_CACHE = "no-store"  # it names the visitor's banner choices: no shared cache may keep it


def source_settings(write_key: str, api_host: str) -> dict[str, object]:
    """The settings document Segment's SDKs fetch before sending (analytics-next from
    `{cdnURL}/v1/projects/<key>/settings`, analytics-swift and analytics-kotlin from
    `https://{cdnHost}/projects/<key>/settings`). Its `Segment.io.apiHost` overrides the host
    the app configured, so it must name the gateway: settings cached from Segment's own CDN
    would send events straight back to Segment. No device-mode destinations, no middleware,
    and no client telemetry (`metrics.sampleRate: 0`)."""
    return {
        "integrations": {"Segment.io": {"apiKey": write_key, "apiHost": api_host}},
        "plan": {},
        "edgeFunction": {},
        "middlewareSettings": {},
        "enabledMiddleware": {},
        "metrics": {"sampleRate": 0},
        "remotePlugins": [],
        "legacyVideoPluginsEnabled": False,
    }


async def settings(request: Request) -> Response:
    """Segment's settings, and under `consent` what the SDK's banner shows this visitor (their
    regime from GeoIP, purposes, recipients, notice version, texts in `?lang=` or the
    browser's language, the source's theme). Segment's SDKs ignore the extra key."""
    runtime: Configured = request.app.state.runtime
    key = request.path_params["write_key"]
    source = next((s for s in runtime.config.sources if s.write_key == key), None)
    if source is None:
        return JSONResponse({"success": False, "error": "unknown write key"}, 404)
    body = source_settings(key, f"{_api_host(request, runtime)}/v1")
    body["consent"] = _consent(request, runtime, source)
    headers = {"cache-control": SETTINGS_CACHE, "access-control-allow-origin": "*"}
    return JSONResponse(body, headers=headers)


def _api_host(request: Request, runtime: Configured) -> str:
    """The configured public URL's host, else the address the connection arrived at (the
    listening socket's, not the Host header, which the client writes)."""
    public = runtime.config.gateway.server.public_url
    if public:
        return urlsplit(public).netloc
    server = request.scope.get("server")
    if server and server[1] is not None:
        host, port = server
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"{runtime.config.gateway.server.host}:{runtime.config.gateway.server.port}"


def _consent(request: Request, runtime: Configured, source: SourceConfig) -> dict[str, object]:
    lang = pick_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    gpc = request.headers.get("sec-gpc") == "1"
    country = country_of(request, runtime.client_address, runtime.geo)
    return banner_settings(runtime.config, source, country, gpc, lang)


def routes() -> list[BaseRoute]:
    return [
        Route("/sdk/v1/{name}", sdk_file, methods=["GET", "HEAD"]),
        Route("/v1/projects/{write_key}/settings", settings, methods=["GET", "HEAD"]),
        Route("/demo", demo, methods=["GET"]),
        Route("/demo/feed", demo_feed, methods=["GET"]),
    ]
