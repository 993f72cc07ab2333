"""The Segment-compatible HTTP edge: /v1/<type>, their short aliases, and /v1/batch."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.config.schema import SourceConfig
from gateway.enrich.ip import truncate_ip
from gateway.errors import IngestError, StoreUnavailable
from gateway.ingest.access import cors_headers, preflight_headers
from gateway.ingest.body import check_content_type, read_body
from gateway.ingest.spec import events_from, new_message_id, parse_json, stamp_server_fields
from gateway.pipeline import Outcome, unique_keys
from gateway.policy.categories import NestingTooDeepError
from gateway.policy.consent import RequestSignals
from gateway.privacy.subject import COOKIE as SUBJECT_COOKIE
from gateway.privacy.subject import HEADER as SUBJECT_HEADER
from gateway.privacy.subject import cookie_header
from gateway.runtime import Runtime
from gateway.store.types import Dedupe, OutboxItem

log = logging.getLogger("gateway.ingest")

EVENT_TYPES = ("track", "page", "screen", "identify", "group", "alias")
ENDPOINTS: dict[str, str | None] = {
    **{f"/v1/{t}": t for t in EVENT_TYPES},
    **{f"/v1/{t[0]}": t for t in EVENT_TYPES},
    "/v1/batch": None,
    "/v1/import": None,
    "/v1/b": None,  # analytics-next (batching), analytics-swift and analytics-kotlin post here
}
OK_BODY = b'{"success":true}'
STORE_RETRY_AFTER = 2


def json_error(status: int, message: str, retry_after: float | None = None) -> Response:
    headers = {"retry-after": str(max(1, round(retry_after)))} if retry_after is not None else None
    body = orjson.dumps({"success": False, "error": message})
    return Response(body, status, headers=headers, media_type="application/json")


def collector(endpoint: str) -> Callable[[Request], Awaitable[Response]]:
    """The handler of one ingest path: the event type is bound to the route, not read back
    from the URL (which may carry a proxy's root path)."""

    async def handler(request: Request) -> Response:
        return await collect(request, endpoint, ENDPOINTS[endpoint])

    return handler


async def collect(request: Request, endpoint: str, implied: str | None) -> Response:
    runtime: Runtime = request.app.state.runtime
    started = time.perf_counter()
    try:
        response = await _accept(request, runtime, implied)
    except IngestError as exc:
        runtime.metrics.events_rejected.labels(reason=_reason(exc.status)).inc()
        response = json_error(exc.status, exc.message, exc.retry_after)
    except StoreUnavailable:
        log.warning("store unavailable: answered 503 to %s", endpoint)
        runtime.metrics.events_rejected.labels(reason="store_unavailable").inc()
        response = json_error(503, "storage unavailable, retry later", STORE_RETRY_AFTER)
    response.headers.update(cors_headers(request.headers.get("origin"), runtime.sources.origins))
    metrics = runtime.metrics
    metrics.child(metrics.requests, endpoint, str(response.status_code)).inc()
    metrics.child(metrics.ingest_latency, endpoint).observe(time.perf_counter() - started)
    return response


async def preflight(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    headers = preflight_headers(request.headers.get("origin"), runtime.sources.origins)
    status = 204 if "access-control-allow-origin" in headers else 403
    return Response(status_code=status, headers=headers)


async def _accept(request: Request, runtime: Runtime, implied: str | None) -> Response:
    limits = runtime.config.gateway.limits
    headers = request.headers
    check_content_type(headers.get("content-type"))
    body = await read_body(request, limits.max_event_bytes if implied else limits.max_batch_bytes)
    document = parse_json(body)
    write_key = document.pop("writeKey", None) if isinstance(document, dict) else None
    source = runtime.sources.authenticate(headers.get("authorization"), write_key)
    peer = request.client.host if request.client else None
    scheme = runtime.client_address.scheme(peer, headers, request.url.scheme)
    own_origin = f"{scheme}://{request.url.netloc}"
    runtime.sources.check_origin(source, headers.get("origin"), own_origin)
    address = runtime.client_address.resolve(peer, headers)
    await _rate_limit(runtime, source, address)
    events = events_from(document, implied, limits, len(body))
    fresh = _stamp(events, document, source, address, headers.get("user-agent"))
    events, repeated = _first_of_each(events)
    if repeated:
        runtime.metrics.child(runtime.metrics.duplicates, source.id).inc(repeated)
    outcomes, stored, unjudged = await _decide(runtime, events, source, headers)
    if unjudged:  # a resend after the fault is fixed must not count as a duplicate
        runtime.metrics.child(runtime.metrics.events_dropped, "internal_error").inc(len(unjudged))
        fresh = [message_id for message_id in fresh if message_id not in unjudged]
    now = time.time()
    items = [i for o in outcomes for i in runtime.pipeline.outbox_items(o, source, now)]
    window = runtime.config.gateway.dedupe.window_seconds
    dedupe = Dedupe(tuple((source.id, m) for m in fresh), window) if fresh and window else None
    duplicates = await runtime.store.outbox.enqueue(items, dedupe)
    _count(runtime, source, outcomes, items, duplicates)
    return _ok(runtime, request, source, events[0], stored, len(unjudged))


def _bucket(address: str | None) -> str | None:
    """The rate-limit bucket of a client address: IPv6 clients get a /64 each (one host
    can use every address of its /64, so a bucket per address is no limit at all)."""
    if address is None or ":" not in address:
        return address
    return truncate_ip(address, 32, 64) or address


async def _rate_limit(runtime: Runtime, source: SourceConfig, address: str | None) -> None:
    limits = runtime.config.gateway.rate_limits
    checks = [(f"key:{source.id}", limits.per_write_key), (f"ip:{_bucket(address)}", limits.per_ip)]
    for key, limit in checks:
        if limit is None or (key.startswith("ip:") and address is None):
            continue
        wait = await runtime.store.limiter.hit(key, limit.rate, limit.burst)
        if wait > 0:
            raise IngestError(429, "rate limit exceeded", retry_after=wait)


def _stamp(
    events: list[dict[str, Any]],
    document: Any,
    source: SourceConfig,
    address: str | None,
    user_agent: str | None,
) -> list[str]:
    """Server-side fields; returns the client-supplied message IDs (for deduplication)."""
    received = datetime.now(UTC)
    batch_sent_at = document.get("sentAt") if isinstance(document, dict) else None
    fresh: dict[str, None] = {}
    for event in events:
        event.pop("writeKey", None)
        if stamp_server_fields(event, received, batch_sent_at, new_message_id):
            fresh[event["messageId"]] = None
        context = event.setdefault("context", {})
        if "ip" not in context and address is not None and source.kind != "server":
            context["ip"] = address
        if "userAgent" not in context and user_agent and source.kind == "web":
            context["userAgent"] = user_agent
    return list(fresh)


def _first_of_each(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """A batch that repeats a messageId carries the same event twice: the first copy goes
    on, the others are duplicates (as a later resend would be)."""
    seen: set[str] = set()
    kept = []
    for event in events:
        message_id = event["messageId"]
        if message_id not in seen:
            seen.add(message_id)
            kept.append(event)
    return kept, len(events) - len(kept)


async def _decide(
    runtime: Runtime, events: list[dict[str, Any]], source: SourceConfig, headers: Any
) -> tuple[list[Outcome], Mapping[str, Any], set[str]]:
    """Each judged event's outcome, the preferences stored for the request's subjects, and
    the message IDs of events that could not be judged (a fault of ours: they are refused
    one by one, so nothing unjudged goes on and the rest of the batch still does)."""
    pipeline = runtime.pipeline
    keys = [pipeline.prepare(event) for event in events]
    stored = await runtime.store.preferences.get_many(unique_keys(keys))
    signals = RequestSignals(gpc=headers.get("sec-gpc") == "1", dnt=headers.get("dnt") == "1")
    outcomes = []
    unjudged: set[str] = set()
    for event, event_keys in zip(events, keys, strict=True):
        message_id = event["messageId"]
        try:
            outcomes.append(pipeline.process(event, event_keys, source, signals, stored))
        except NestingTooDeepError:
            # JSON inside strings counts too: refused whole rather than half-scanned.
            message = "event nests too deeply (counting JSON inside strings)"
            raise IngestError(400, message) from None
        except Exception as exc:  # any fault of ours: fail closed for this event only
            # Its type and place only: the message (and a traceback, under a logging
            # config other than ours) may quote the event.
            log.error("an event could not be judged (%s at %s); it was refused",
                      type(exc).__name__, _fault_site(exc))  # fmt: skip
            unjudged.add(message_id)
    if unjudged and not outcomes:
        raise IngestError(500, "the gateway could not judge the events; none was accepted")
    return outcomes, stored, unjudged


def _fault_site(exc: BaseException) -> str:
    """`module.py:line` of the innermost frame an exception was raised in."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}"


def _count(
    runtime: Runtime,
    source: SourceConfig,
    outcomes: list[Outcome],
    items: list[OutboxItem],
    duplicates: set[str],
) -> None:
    metrics = runtime.metrics
    child = metrics.child
    child(metrics.events_accepted, source.id).inc(len(outcomes))
    if duplicates:
        child(metrics.duplicates, source.id).inc(len(duplicates))
    for outcome in outcomes:
        for removal in outcome.decision.removed:
            child(metrics.fields_removed, removal.category, removal.rule).inc()
        if outcome.dropped:
            child(metrics.events_dropped, "suspended_use").inc()
        for verdict in outcome.verdicts:
            if not verdict.send:
                reason = _verdict_reason(verdict.reason)
                child(metrics.not_forwarded, verdict.destination, reason).inc()


def _verdict_reason(reason: str) -> str:
    """A fixed label for a verdict sentence (labels stay low-cardinality)."""
    for prefix, label in (
        ("provision", "provision_suspended"),
        ("purpose", "purpose_not_granted"),
        ("the customer", "vendor_refused"),
        ("TCF", "tcf_vendor"),
        ("event type", "event_filter"),
        ("event name", "event_filter"),
        ("no allowed", "nothing_allowed"),
    ):
        if reason.startswith(prefix):
            return label
    return "other"


def _ok(
    runtime: Runtime,
    request: Request,
    source: SourceConfig,
    first: dict[str, Any],
    stored: Mapping[str, Any],
    refused: int = 0,
) -> Response:
    body = orjson.dumps({"success": True, "refused": refused}) if refused else OK_BODY
    response = Response(body, 200, media_type="application/json")
    token = _subject_token(runtime, request, source, first, stored)
    if token is not None:
        response.headers[SUBJECT_HEADER] = token
        if source.kind == "web":
            peer = request.client.host if request.client else None
            secure = (
                runtime.client_address.scheme(peer, request.headers, request.url.scheme) == "https"
            )
            response.headers["set-cookie"] = cookie_header(token, secure)
    return response


def _subject_token(
    runtime: Runtime,
    request: Request,
    source: SourceConfig,
    first: dict[str, Any],
    stored: Mapping[str, Any],
) -> str | None:
    """The device's subject token, when this request may have it. A token speaks for a
    device (its anonymousId): none without one, none for server sources (they relay other
    people's events), and once the device has stored choices only a request that already
    holds its token gets a fresh one — an anonymousId seen elsewhere (it is forwarded to
    vendors) is then not enough to change those choices."""
    anonymous_id = first.get("anonymousId")
    if source.kind == "server" or not isinstance(anonymous_id, str) or not anonymous_id:
        return None
    keys = runtime.subject_keys
    anon_key = keys.key("anon", anonymous_id)
    user_id = first.get("userId")
    user_key = keys.key("user", user_id) if isinstance(user_id, str) and user_id else None
    if anon_key in stored:
        held = runtime.tokens.verify(
            request.headers.get(SUBJECT_HEADER) or request.cookies.get(SUBJECT_COOKIE)
        )
        if held is None or held.anon_key != anon_key:
            return None
    return runtime.tokens.current(anon_key, user_key)


def _reason(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden_origin",
        413: "too_large",
        415: "unsupported_media_type",
        429: "rate_limited",
        500: "internal_error",
    }.get(status, str(status))


def routes() -> list[Route]:
    out = [Route(path, collector(path), methods=["POST"]) for path in ENDPOINTS]
    out += [Route(path, preflight, methods=["OPTIONS"]) for path in ENDPOINTS]
    return out
