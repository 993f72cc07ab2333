"""The Segment-compatible HTTP edge: /v1/<type>, their short aliases, and /v1/batch."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.config.loader import Config
from gateway.config.schema import SourceConfig
from gateway.errors import RateLimited, Refused, StoreUnavailable, Unauthorized
from gateway.ingest.access import Sources
from gateway.intake.intake import Arrival, Intake, Taken
from gateway.intake.spec import parse_json
from gateway.observability.debugger import Debugger
from gateway.observability.metrics import Metrics
from gateway.plans.decision import PlanResult
from gateway.policy.consent.resolver import RequestSignals
from gateway.policy.identifiers import SubjectKeys
from gateway.privacy.subject import COOKIE as SUBJECT_COOKIE
from gateway.privacy.subject import HEADER as SUBJECT_HEADER
from gateway.privacy.subject import SubjectTokens, cookie_header
from gateway.store.types import Store
from gateway.web.body import check_content_type, read_body
from gateway.web.client import ClientAddress, cors_headers, preflight_headers
from gateway.web.limits import bucket, charge
from gateway.web.responses import refusal, store_unavailable

EVENT_TYPES = ("track", "page", "screen", "identify", "group", "alias")
ENDPOINTS: dict[str, str | None] = {
    **{f"/v1/{t}": t for t in EVENT_TYPES},
    **{f"/v1/{t[0]}": t for t in EVENT_TYPES},
    "/v1/batch": None,
    "/v1/import": None,
    "/v1/b": None,  # analytics-next (batching), analytics-swift and analytics-kotlin post here
}
OK_BODY = b'{"success":true}'


class Edge(Protocol):
    """What the ingest edge uses of the running gateway."""

    config: Config
    intake: Intake
    sources: Sources
    client_address: ClientAddress
    tokens: SubjectTokens
    subject_keys: SubjectKeys

    @property
    def store(self) -> Store: ...

    @property
    def metrics(self) -> Metrics: ...

    @property
    def debugger(self) -> Debugger: ...


def collector(endpoint: str) -> Callable[[Request], Awaitable[Response]]:
    """The handler of one ingest path: the event type is bound to the route, not read back
    from the URL (which may carry a proxy's root path)."""

    async def handler(request: Request) -> Response:
        return await collect(request, endpoint, ENDPOINTS[endpoint])

    return handler


async def collect(request: Request, endpoint: str, implied: str | None) -> Response:
    runtime: Edge = request.app.state.runtime
    started = time.perf_counter()
    try:
        response = await _accept(request, runtime, implied)
    except Refused as exc:
        runtime.metrics.events_rejected.labels(reason=exc.code).inc()
        response = refusal(exc)
    except StoreUnavailable as exc:  # the store logs its cause once, when it starts and ends
        runtime.metrics.events_rejected.labels(reason=exc.code).inc()
        response = store_unavailable(exc)
    response.headers.update(cors_headers(request.headers.get("origin"), runtime.sources.origins))
    metrics = runtime.metrics
    metrics.child(metrics.requests, endpoint, str(response.status_code)).inc()
    metrics.child(metrics.ingest_latency, endpoint).observe(time.perf_counter() - started)
    return response


async def preflight(request: Request) -> Response:
    runtime: Edge = request.app.state.runtime
    headers = preflight_headers(request.headers.get("origin"), runtime.sources.origins)
    status = 204 if "access-control-allow-origin" in headers else 403
    return Response(status_code=status, headers=headers)


async def _accept(request: Request, runtime: Edge, implied: str | None) -> Response:
    limits = runtime.config.gateway.limits
    rates = runtime.config.gateway.rate_limits
    limiter = runtime.store.limiter
    headers = request.headers
    peer = request.client.host if request.client else None
    address = runtime.client_address.resolve(peer, headers)
    await charge(limiter, _at("ip", address), rates.per_ip)  # before the body is read
    check_content_type(headers.get("content-type"))
    body = await read_body(request, limits.max_event_bytes if implied else limits.max_batch_bytes)
    document = parse_json(body)
    write_key = document.pop("writeKey", None) if isinstance(document, dict) else None
    source = await _authenticate(runtime, headers.get("authorization"), write_key, address)
    origin = headers.get("origin")
    if origin is not None:  # browsers only: the gateway's own URL is built just for them
        scheme = runtime.client_address.scheme(peer, headers, request.url.scheme)
        runtime.sources.check_origin(source, origin, f"{scheme}://{request.url.netloc}")
    await charge(limiter, f"key:{source.id}", rates.per_write_key)
    await charge(limiter, f"events:{source.id}", rates.events_per_source, _events_in(document))
    signals = RequestSignals(gpc=headers.get("sec-gpc") == "1", dnt=headers.get("dnt") == "1")
    arrival = Arrival(source, address, headers.get("user-agent"), signals, len(body))
    taken = await runtime.intake.take(document, implied, arrival, runtime.store.outbox)
    _count(runtime, source, taken)
    if runtime.config.gateway.console.debugger:
        _debug(runtime, source, taken)
    first = taken.events[0] if taken.events else {}  # {}: the plan dropped every event
    token = await _subject_token(runtime, request, source, first, taken.stored, address)
    return _ok(runtime, request, source, token, len(taken.unjudged))


def _at(kind: str, address: str | None) -> str | None:
    where = bucket(address)
    return f"{kind}:{where}" if where is not None else None


async def _authenticate(
    runtime: Edge, authorization: str | None, body_key: object, address: str | None
) -> SourceConfig:
    """Write keys are public identifiers, so a wrong one is counted after the comparison
    (no lookup before every request): past the per-address budget, 429 instead of 401."""
    try:
        return runtime.sources.authenticate(authorization, body_key)
    except Unauthorized as exc:
        if not exc.message.startswith("missing"):
            limit = runtime.config.gateway.rate_limits.failed_auth_per_ip
            await charge(runtime.store.limiter, _at("authfail", address), limit)
        raise


def _events_in(document: Any) -> int:
    batch = document.get("batch") if isinstance(document, dict) else None
    return max(1, len(batch)) if isinstance(batch, list) else 1


def _count(runtime: Edge, source: SourceConfig, taken: Taken) -> None:
    metrics = runtime.metrics
    child = metrics.child
    child(metrics.events_accepted, source.id).inc(len(taken.outcomes))
    if taken.repeated or taken.duplicates:
        child(metrics.duplicates, source.id).inc(taken.repeated + len(taken.duplicates))
    if taken.unjudged:
        child(metrics.events_dropped, "internal_error").inc(len(taken.unjudged))
    if taken.plan is not None:
        _count_plan(metrics, source, taken.plan)
    for outcome in taken.outcomes:
        for removal in outcome.decision.removed:
            child(metrics.fields_removed, removal.category, removal.rule).inc()
        if outcome.drop_code:
            child(metrics.events_dropped, outcome.drop_code).inc()
        for verdict in outcome.verdicts:
            if not verdict.send:
                child(metrics.not_forwarded, verdict.destination, verdict.code).inc()


def _debug(runtime: Edge, source: SourceConfig, taken: Taken) -> None:
    """The live debugger's copy: each event as the policy left it (with no category a
    source may allow, such as location), the paths removed, each destination's verdict
    with the payload it was given, and the tracking plan's findings (paths and codes). An
    event the plan dropped whole is there with its messageId, type and findings only."""
    console = runtime.config.gateway.console
    decisions = taken.plan.decisions if taken.plan is not None else {}
    for outcome in taken.outcomes:
        event = outcome.decision.for_purposes(())
        trace = outcome.trace()
        decision = decisions.get(str(event.get("messageId")))
        entry = {
            "source": source.id,
            "messageId": event.get("messageId"),
            "type": event.get("type"),
            "event": event,
            "dropped": trace["drop_code"],
            "removed": trace["removed"],
            "destinations": trace["destinations"],
            "plan": decision.as_dict() if decision is not None else None,
        }
        runtime.debugger.add(entry, console.debugger_events, console.debugger_seconds)
    for message_id, kind in taken.plan.dropped if taken.plan is not None else ():
        entry = {
            "source": source.id,
            "messageId": message_id,
            "type": kind,
            "event": {},
            "dropped": "tracking_plan",
            "removed": [],
            "destinations": [],
            "plan": decisions[message_id].as_dict(),
        }
        runtime.debugger.add(entry, console.debugger_events, console.debugger_seconds)


def _count_plan(metrics: Metrics, source: SourceConfig, plan: PlanResult) -> None:
    """Labels are the source, the planned event's name (from the config, or "(unplanned)")
    and fixed codes: never a name or value from the event."""
    for decision in plan.decisions.values():
        for finding in decision.findings:
            labels = (source.id, decision.event, finding.code, finding.action)
            metrics.child(metrics.plan_findings, *labels).inc()
    if plan.dropped:
        metrics.child(metrics.events_dropped, "tracking_plan").inc(len(plan.dropped))


def _ok(
    runtime: Edge, request: Request, source: SourceConfig, token: str | None, refused: int = 0
) -> Response:
    body = orjson.dumps({"success": True, "refused": refused}) if refused else OK_BODY
    response = Response(body, 200, media_type="application/json")
    if token is not None:
        response.headers[SUBJECT_HEADER] = token
        if source.kind == "web":
            peer = request.client.host if request.client else None
            direct = request.scope["scheme"]
            secure = runtime.client_address.scheme(peer, request.headers, direct) == "https"
            response.headers["set-cookie"] = cookie_header(token, secure)
    return response


async def _subject_token(
    runtime: Edge,
    request: Request,
    source: SourceConfig,
    first: dict[str, Any],
    stored: Mapping[str, Any],
    address: str | None,
) -> str | None:
    """The device's subject token, when this request may have it. A token speaks for a
    device (its anonymousId): none without one, none for server sources (they relay other
    people's events), and once the device has stored choices only a request that already
    holds its token gets a fresh one — an anonymousId seen elsewhere (it is forwarded to
    vendors) is then not enough to change those choices. A first token for a device counts
    against the address's token budget; past it the event is still taken, without a token."""
    anonymous_id = first.get("anonymousId")
    if source.kind == "server" or not isinstance(anonymous_id, str) or not anonymous_id:
        return None
    keys = runtime.subject_keys
    anon_key = keys.key("anon", anonymous_id)
    user_id = first.get("userId")
    user_key = keys.key("user", user_id) if isinstance(user_id, str) and user_id else None
    held = runtime.tokens.verify(
        request.headers.get(SUBJECT_HEADER) or request.cookies.get(SUBJECT_COOKIE)
    )
    holds = held is not None and held.anon_key == anon_key
    if anon_key in stored and not holds:
        return None
    if not holds:
        try:
            limit = runtime.config.gateway.rate_limits.tokens_per_ip
            await charge(runtime.store.limiter, _at("mint", address), limit)
        except RateLimited:
            return None
    return runtime.tokens.current(anon_key, user_key)


def routes() -> list[Route]:
    out = [Route(path, collector(path), methods=["POST"]) for path in ENDPOINTS]
    out += [Route(path, preflight, methods=["OPTIONS"]) for path in ENDPOINTS]
    return out
