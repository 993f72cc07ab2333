"""POST /admin/explain, /admin/reload and /admin/dsar/{action}."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.admin.auth import authorize
from gateway.config.loader import Config
from gateway.errors import BadRequest, NotFound, Refused, StoreUnavailable
from gateway.intake.explain import Question, SourceLookup, explain_event
from gateway.intake.intake import Intake
from gateway.privacy.disclosure import disclosure_page
from gateway.privacy.page import csp, new_nonce
from gateway.privacy.requests import ACTIONS, run_request
from gateway.privacy.service import PrivacyService
from gateway.store.types import Store
from gateway.web.body import read_body, read_json
from gateway.web.client import ClientAddress
from gateway.web.limits import authenticated
from gateway.web.responses import refusal, status_of, store_unavailable

MAX_BODY = 64 * 1024


class Office(Protocol):
    """What the admin routes use of the running gateway."""

    config: Config
    intake: Intake
    privacy: PrivacyService
    sources: SourceLookup
    client_address: ClientAddress

    @property
    def store(self) -> Store: ...


Reload = Callable[[], Awaitable[dict[str, Any]]]
Handler = Callable[[Request, Office], Awaitable[Response]]


def guard(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def wrapped(request: Request) -> Response:
        office: Office = request.app.state.runtime
        try:
            return await handler(request, office)
        except Refused as exc:
            return refusal(exc)
        except StoreUnavailable:
            return store_unavailable()

    return wrapped


async def token_name(request: Request, office: Office, scope: str) -> str:
    """The admin token's name; wrong tokens count against the address's budget."""
    peer = request.client.host if request.client else None
    address = office.client_address.resolve(peer, request.headers)
    limit = office.config.gateway.rate_limits.failed_auth_per_ip

    async def check() -> str:
        tokens = office.config.gateway.admin.tokens
        return authorize(request.headers.get("authorization"), tokens, scope)

    return await authenticated(office.store.limiter, address, limit, check)


async def admin_explain(request: Request, office: Office) -> Response:
    """The body is read under the batch limit as it arrives (gzip too, limited once
    inflated); a refusal of the event is answered with its own status (unknown write
    key: 401), the explanation in the body."""
    who = await token_name(request, office, "explain")
    body = await read_body(request, office.config.gateway.limits.max_batch_bytes)
    headers = {k: v for k, v in request.headers.items() if k in ("sec-gpc", "dnt")}
    params = request.query_params
    question = Question(
        body, headers, params.get("write_key"), params.get("ip"), params.get("user_agent")
    )
    status = 200
    try:
        result = await explain_event(office.intake, office.sources, question)
    except Refused as exc:
        status = status_of(exc)
        result = {"error": exc.message, "status": status}
    await office.store.log_admin_action({"action": "explain", "token": who})
    return JSONResponse(result, status)


async def admin_dsar(request: Request, office: Office) -> Response:
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise NotFound(f"unknown request type (one of: {', '.join(ACTIONS)})")
    scope = "dsar:read" if action == "disclosure" else "dsar:write"
    who = await token_name(request, office, scope)
    body = await read_json(request, MAX_BODY)
    identifier = body.get("subject") if isinstance(body, dict) else None
    if not isinstance(identifier, str) or not identifier:
        raise BadRequest("subject: a userId, anonymousId or advertising ID is required")
    service = office.privacy
    result = await run_request(service, action, identifier, body)
    await office.store.log_admin_action(
        {"action": action, "token": who, "subject_key": service.identifier_keys(identifier)[0]}
    )
    lang = request.query_params.get("lang")
    if action == "disclosure" and request.query_params.get("format") == "html":
        # The customer's copy: what the office sends them (policy: "We will respond to you by
        # mail or by electronic means").
        nonce = new_nonce()
        page = disclosure_page("en" if lang == "en" else "ja", result, nonce)
        return HTMLResponse(page, headers={"content-security-policy": csp(nonce)})
    return JSONResponse(result)


def routes(reload: Reload) -> list[BaseRoute]:
    """`reload` reloads the config of this process (and its siblings); it answers with the
    document the endpoint returns."""

    async def admin_reload(request: Request, office: Office) -> Response:
        who = await token_name(request, office, "reload")
        result = await reload()
        await office.store.log_admin_action(
            {"action": "reload", "token": who, "ok": result["reloaded"]}
        )
        return JSONResponse(result, 200 if result["reloaded"] else 400)

    return [
        Route("/admin/explain", guard(admin_explain), methods=["POST"]),
        Route("/admin/reload", guard(admin_reload), methods=["POST"]),
        Route("/admin/dsar/{action}", guard(admin_dsar), methods=["POST"]),
    ]
