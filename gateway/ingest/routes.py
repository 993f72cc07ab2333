"""The Segment-compatible HTTP edge: /v1/<type>, their short aliases, and /v1/batch.

Each path's POST and OPTIONS handler is a plain ASGI app, reading the raw scope and
`receive` and sending its answer itself: the gateway's app calls it before Starlette's
middleware and router (`gateway/app.py`), and Starlette's route list holds the same
objects (other methods get its 405)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Protocol

import orjson
from starlette.datastructures import URL
from starlette.routing import Route

from gateway.config.loader import Config
from gateway.config.schema import SourceConfig
from gateway.errors import RateLimited, Refused, StoreUnavailable, Unauthorized, fault_site
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
from gateway.web.body import check_content_type, receive_body
from gateway.web.client import ClientAddress, cors_fields, preflight_headers
from gateway.web.head import RequestHead
from gateway.web.limits import bucket, charge, charge_all
from gateway.web.responses import (
    INTERNAL_ERROR,
    Answer,
    error_answer,
    json_answer,
    refusal_answer,
    unavailable_answer,
)

log = logging.getLogger("gateway.ingest")
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

EVENT_TYPES = ("track", "page", "screen", "identify", "group", "alias")
ENDPOINTS: dict[str, str | None] = {
    **{f"/v1/{t}": t for t in EVENT_TYPES},
    **{f"/v1/{t[0]}": t for t in EVENT_TYPES},
    "/v1/batch": None,
    "/v1/import": None,
    "/v1/b": None,  # analytics-next (batching), analytics-swift and analytics-kotlin post here
}
OK_BODY = b'{"success":true}'
SUBJECT_FIELD = SUBJECT_HEADER.encode()


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


class Collector:
    """One ingest path's POST. The event type is bound to the path, not read back from the
    URL (which may carry a proxy's root path)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.implied = ENDPOINTS[endpoint]
        self.labels = (endpoint,)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime: Edge = scope["app"].state.runtime
        started = time.perf_counter()
        head = RequestHead(scope)
        metrics = runtime.metrics
        try:
            answer = await _accept(head, receive, runtime, self.implied)
        except Refused as exc:
            metrics.events_rejected.inc((exc.code,))
            answer = refusal_answer(exc)
        except StoreUnavailable as exc:  # the store logs its cause once, when it starts and ends
            metrics.events_rejected.inc((exc.code,))
            answer = unavailable_answer(exc)
        except Exception as exc:  # a fault of ours: 500, and the server goes on
            # Its type and place only: the message may quote the request.
            log.error("an ingest request failed (%s at %s); answered 500",
                      type(exc).__name__, fault_site(exc))  # fmt: skip
            metrics.events_rejected.inc(("internal_error",))
            answer = error_answer(500, INTERNAL_ERROR)
        answer.headers += cors_fields(head.get("origin"), runtime.sources.origins)
        metrics.requests.inc((self.endpoint, str(answer.status)))
        metrics.ingest_latency.observe(self.labels, time.perf_counter() - started)
        await answer.send(send)


class Preflight:
    """A CORS preflight to any ingest path."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime: Edge = scope["app"].state.runtime
        origin = RequestHead(scope).get("origin")
        headers = preflight_headers(origin, runtime.sources.origins)
        granted = "access-control-allow-origin" in headers
        fields = [(name.encode(), value.encode("latin-1")) for name, value in headers.items()]
        if not granted:
            fields.append((b"content-length", b"0"))  # what Starlette's empty 403 carried
        await Answer(204 if granted else 403, b"", fields).send(send)


async def _accept(
    head: RequestHead, receive: Receive, runtime: Edge, implied: str | None
) -> Answer:
    limits = runtime.config.gateway.limits
    rates = runtime.config.gateway.rate_limits
    limiter = runtime.store.limiter
    fields = head.fields
    peer = head.peer
    address = runtime.client_address.resolve(peer, head)
    await charge(limiter, _at("ip", address), rates.per_ip)  # before the body is read
    check_content_type(fields.get("content-type"))
    limit = limits.max_event_bytes if implied else limits.max_batch_bytes
    length, encoding = fields.get("content-length"), fields.get("content-encoding")
    body = await receive_body(receive, limit, length, encoding)
    document = parse_json(body)
    write_key = document.pop("writeKey", None) if isinstance(document, dict) else None
    source = await _authenticate(runtime, fields.get("authorization"), write_key, address)
    origin = fields.get("origin")
    if origin is not None:  # browsers only: the gateway's own URL is built just for them
        scheme = runtime.client_address.scheme(peer, fields, head.scope.get("scheme", "http"))
        runtime.sources.check_origin(source, origin, f"{scheme}://{URL(scope=head.scope).netloc}")
    await charge_all(limiter, f"src:{source.id}", [
        ("key", rates.per_write_key, 1),
        ("events", rates.events_per_source, _events_in(document)),
    ])  # fmt: skip
    signals = RequestSignals(gpc=fields.get("sec-gpc") == "1", dnt=fields.get("dnt") == "1")
    arrival = Arrival(source, address, fields.get("user-agent"), signals, len(body))
    taken = await runtime.intake.take(document, implied, arrival, runtime.store.outbox)
    _count(runtime, source, taken)
    if runtime.config.gateway.console.debugger:
        _debug(runtime, source, taken)
    first = taken.events[0] if taken.events else {}  # {}: the plan dropped every event
    token = await _subject_token(runtime, head, source, first, taken.stored, address)
    return _ok(runtime, head, source, token, len(taken.unjudged))


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
    metrics.events_accepted.inc((source.id,), len(taken.outcomes))
    if taken.repeated or taken.duplicates:
        metrics.duplicates.inc((source.id,), taken.repeated + len(taken.duplicates))
    if taken.unjudged:
        metrics.events_dropped.inc(("internal_error",), len(taken.unjudged))
    if taken.plan is not None:
        _count_plan(metrics, source, taken.plan)
    for outcome in taken.outcomes:
        for removal in outcome.decision.removed:
            metrics.fields_removed.inc((removal.category, removal.rule))
        if outcome.drop_code:
            metrics.events_dropped.inc((outcome.drop_code,))
        for verdict in outcome.verdicts:
            if not verdict.send:
                metrics.not_forwarded.inc((verdict.destination, verdict.code))


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
            metrics.plan_findings.inc(labels)
    if plan.dropped:
        metrics.events_dropped.inc(("tracking_plan",), len(plan.dropped))


def _ok(
    runtime: Edge, head: RequestHead, source: SourceConfig, token: str | None, refused: int = 0
) -> Answer:
    body = orjson.dumps({"success": True, "refused": refused}) if refused else OK_BODY
    answer = json_answer(200, body)
    if token is not None:
        answer.headers.append((SUBJECT_FIELD, token.encode("latin-1")))
        if source.kind == "web":
            direct = head.scope.get("scheme", "http")
            secure = runtime.client_address.scheme(head.peer, head.fields, direct) == "https"
            answer.headers.append((b"set-cookie", cookie_header(token, secure).encode("latin-1")))
    return answer


async def _subject_token(
    runtime: Edge,
    head: RequestHead,
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
    held = runtime.tokens.verify(head.get(SUBJECT_HEADER) or head.cookie(SUBJECT_COOKIE))
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


def handlers() -> dict[str, dict[str, Any]]:
    """Per ingest path, its handler per method (the plain ASGI apps)."""
    preflight = Preflight()
    return {path: {"POST": Collector(path), "OPTIONS": preflight} for path in ENDPOINTS}


def routes(by_path: dict[str, dict[str, Any]]) -> list[Route]:
    """The same handlers as Starlette routes: what the gateway's app does not answer before
    Starlette (another method: 405) goes through them."""
    out = [Route(path, by_method["POST"], methods=["POST"]) for path, by_method in by_path.items()]
    out += [Route(path, by_method["OPTIONS"], methods=["OPTIONS"])
            for path, by_method in by_path.items()]  # fmt: skip
    return out
