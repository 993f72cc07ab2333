"""Routes for customers: the preferences API and page, and the external-transmission
notice. The privacy office's routes are in `gateway/admin/routes.py`."""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.config.loader import Config
from gateway.enrich.geo import GeoLookup
from gateway.errors import (
    Forbidden,
    RateLimited,
    Refused,
    StoreUnavailable,
    Unauthorized,
)
from gateway.policy.identifiers import SubjectKeys
from gateway.privacy.device import new_device
from gateway.privacy.notice import notice_about, notice_entries
from gateway.privacy.page import (
    csp,
    new_nonce,
    notice_page,
    preference_page,
    unavailable_page,
)
from gateway.privacy.preferences import parse_update
from gateway.privacy.service import Device, PrivacyService
from gateway.privacy.subject import COOKIE, HEADER, Subject, SubjectTokens
from gateway.privacy.texts import TEXT, pick_language
from gateway.store.types import Store
from gateway.web.body import read_body, read_json
from gateway.web.client import ClientAddress, cors_headers, country_of, preflight_headers
from gateway.web.limits import authenticated, bucket, charge
from gateway.web.responses import STORE_RETRY_AFTER, refusal, store_unavailable

log = logging.getLogger("gateway.privacy")
MAX_BODY = 64 * 1024
CLIENT_SOURCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
GATEWAY_SOURCES = ("page", "dsar")  # sources only the gateway itself writes


class Origins(Protocol):
    origins: frozenset[str]


class Customers(Protocol):
    """What the customers' routes use of the running gateway."""

    config: Config
    privacy: PrivacyService
    sources: Origins
    client_address: ClientAddress
    tokens: SubjectTokens
    subject_keys: SubjectKeys

    @property
    def store(self) -> Store: ...

    @property
    def geo(self) -> GeoLookup | None: ...


def _runtime(request: Request) -> Customers:
    runtime: Customers = request.app.state.runtime
    return runtime


def _subject_token(request: Request) -> str | None:
    return request.headers.get(HEADER) or request.cookies.get(COOKIE)


async def _subject(request: Request, runtime: Customers) -> Subject:
    """The token's subject. A missing token is a new visitor; a wrong one may be a guess,
    and counts against the address's failed-authentication budget (checked first)."""
    presented = _subject_token(request)
    if not presented:
        raise Unauthorized("missing subject token")

    async def verify() -> Subject:
        subject = runtime.tokens.verify(presented)
        if subject is None:
            raise Unauthorized("invalid or expired subject token")
        return subject

    limit = runtime.config.gateway.rate_limits.failed_auth_per_ip
    return await authenticated(runtime.store.limiter, _address(request, runtime), limit, verify)


def _address(request: Request, runtime: Customers) -> str | None:
    peer = request.client.host if request.client else None
    return runtime.client_address.resolve(peer, request.headers)


async def _charge_write(request: Request, runtime: Customers, subject: Subject) -> None:
    """Each stored change is kept for years: writes are limited per device and per address."""
    rates = runtime.config.gateway.rate_limits
    limiter = runtime.store.limiter
    await charge(limiter, f"consent:{subject.anon_key}", rates.consent_writes_per_subject)
    where = bucket(_address(request, runtime))
    ip_key = f"consentip:{where}" if where is not None else None
    await charge(limiter, ip_key, rates.consent_writes_per_ip)


def _device(runtime: Customers, subject: Subject) -> Device:
    """The token's anonymousId is the device's own (random, unguessable); its userId is only
    what the device's events claimed, which nobody verified (write keys are public)."""
    return Device(subject.anon_key, subject.user_key)


def _country(request: Request, runtime: Customers) -> str | None:
    return country_of(request, runtime.client_address, runtime.geo)


def _is_own_origin(request: Request, origin: str) -> bool:
    """The gateway's own pages. Behind a TLS-terminating proxy the request arrives over http
    while the browser names https: the same host in either scheme."""
    scheme, _, netloc = origin.partition("://")
    return netloc == request.url.netloc and scheme in (request.url.scheme, "https")


async def _check_write_origin(request: Request, runtime: Customers, subject: Subject) -> bool:
    """Browsers always send Origin on PUT/POST: it must be a configured site or the gateway
    itself; from the gateway's own page a single-use CSRF token is needed too. Returns
    True when the request came from the gateway's own page."""
    origin = request.headers.get("origin")
    if origin is None:
        return False
    if _is_own_origin(request, origin):
        form_token = request.headers.get("x-csrf-token")
        await _use_form_token(runtime, subject, form_token)
        return True
    if origin not in runtime.sources.origins:
        raise Forbidden("origin not allowed to change preferences")
    return False


async def _use_form_token(runtime: Customers, subject: Subject, form_token: str | None) -> None:
    nonce = runtime.tokens.check_form_token(subject, form_token)
    if nonce is None:
        raise Forbidden("missing or invalid CSRF token")
    if not await runtime.store.use_once(f"form:{nonce}", 3 * 3600):
        raise Forbidden("this form was already submitted")


def _guard(handler: Any) -> Any:
    """Map refusals and store outages onto JSON errors; CORS for configured sites."""

    async def wrapped(request: Request) -> Response:
        runtime = _runtime(request)
        try:
            response: Response = await handler(request, runtime)
        except Refused as exc:
            response = refusal(exc)
        except StoreUnavailable:
            response = store_unavailable()
        response.headers.update(
            cors_headers(request.headers.get("origin"), runtime.sources.origins)
        )
        return response

    return wrapped


async def get_consent(request: Request, runtime: Customers) -> Response:
    subject = await _subject(request, runtime)
    service = runtime.privacy
    gpc = request.headers.get("sec-gpc") == "1"
    state = await service.current(_device(runtime, subject), _country(request, runtime), gpc)
    return JSONResponse(state, headers={"cache-control": "no-store"})


async def put_consent(request: Request, runtime: Customers) -> Response:
    subject = await _subject(request, runtime)
    await _charge_write(request, runtime, subject)  # before the form token's own write
    from_page = await _check_write_origin(request, runtime, subject)
    service = runtime.privacy
    update = parse_update(await read_json(request, MAX_BODY), service.purposes, service.vendors)
    source = "page" if from_page else _client_source(request.headers.get("x-consent-source"))
    gpc = request.headers.get("sec-gpc") == "1"
    state = await service.update(
        _device(runtime, subject), update, source, _country(request, runtime), gpc
    )
    headers = {"cache-control": "no-store"}
    if from_page:
        headers["x-csrf-token"] = runtime.tokens.form_token(subject)
    return JSONResponse(state, headers=headers)


def _client_source(claimed: str | None) -> str:
    """A client may label its changes in the consent log (its first 20 characters), with a
    plain label, and never as the gateway's own page or the privacy office."""
    label = (claimed or "")[:20]
    if not CLIENT_SOURCE.fullmatch(label) or label.lower() in GATEWAY_SOURCES:
        return "api"
    return label


async def consent_preflight(request: Request) -> Response:
    runtime = _runtime(request)
    headers = preflight_headers(request.headers.get("origin"), runtime.sources.origins)
    return Response(status_code=204 if len(headers) > 1 else 403, headers=headers)


async def preferences_page(request: Request) -> Response:
    runtime = _runtime(request)
    lang = pick_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    try:
        return await _render_preferences(request, runtime, lang)
    except RateLimited as exc:
        return refusal(exc)


def _unavailable(lang: str) -> Response:
    nonce = new_nonce()
    headers = {**_page_headers(nonce), "retry-after": str(STORE_RETRY_AFTER)}
    return HTMLResponse(unavailable_page(lang, nonce), 503, headers=headers)


async def _render_preferences(
    request: Request, runtime: Customers, lang: str, message: str = "", warning: bool = False
) -> Response:
    subject = runtime.tokens.verify(_subject_token(request))
    state, csrf, cookies = None, None, list[str]()
    if subject is None:
        where = bucket(_address(request, runtime))
        limit = runtime.config.gateway.rate_limits.tokens_per_ip
        await charge(runtime.store.limiter, f"mint:{where}" if where else None, limit)
        secure = _secure(request, runtime)
        subject, cookies = new_device(runtime.tokens, runtime.subject_keys, secure)
    if subject is not None:
        gpc = request.headers.get("sec-gpc") == "1"
        service = runtime.privacy
        try:
            state = await service.current(
                _device(runtime, subject), _country(request, runtime), gpc
            )
        except StoreUnavailable:
            return _unavailable(lang)
        csrf = runtime.tokens.form_token(subject)
    nonce = new_nonce()
    html = preference_page(
        lang, state, csrf, nonce, message, warning, notice_about(runtime.config, lang)
    )
    status = 200 if not warning else 403
    response = HTMLResponse(html, status, headers=_page_headers(nonce))
    for cookie in cookies:
        response.headers.append("set-cookie", cookie)
    return response


def _secure(request: Request, runtime: Customers) -> bool:
    peer = request.client.host if request.client else None
    return runtime.client_address.scheme(peer, request.headers, request.url.scheme) == "https"


def _page_headers(nonce: str) -> dict[str, str]:
    return {
        "content-security-policy": csp(nonce),
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
    }


async def submit_preferences(request: Request) -> Response:
    """The no-JavaScript path: a form POST, answered with the page and a confirmation."""
    runtime = _runtime(request)
    try:
        body = await read_body(request, MAX_BODY)
    except Refused as exc:
        return refusal(exc)
    form = {k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()}
    lang = pick_language(form.get("lang"), request.headers.get("accept-language"))
    text = TEXT[lang]
    try:
        subject = await _subject(request, runtime)
        origin = request.headers.get("origin")
        if origin is not None and not _is_own_origin(request, origin):
            raise Forbidden("origin not allowed")
        await _charge_write(request, runtime, subject)
        await _use_form_token(runtime, subject, form.get("csrf_token"))
        service = runtime.privacy
        update = _form_update(form, service)
        await service.update(_device(runtime, subject), update, "page", _country(request, runtime))
    except RateLimited as exc:
        return refusal(exc)
    except Refused as exc:
        message = text["replayed"] if "already" in exc.message else text["expired"]
        return await _render_preferences(request, runtime, lang, message, warning=True)
    except StoreUnavailable:
        return _unavailable(lang)
    return await _render_preferences(request, runtime, lang, text["saved"])


def _form_update(form: dict[str, str], service: PrivacyService) -> dict[str, Any]:
    everything = form.get("all")

    def choice(field: str) -> bool | None:
        if everything in ("allow", "refuse"):
            return everything == "allow"
        value = form.get(field)
        return None if value is None else value == "on"

    update: dict[str, Any] = {"purposes": {}, "vendors": {}}
    for purpose in service.purposes:
        if (value := choice(f"purpose.{purpose}")) is not None:
            update["purposes"][purpose] = value
    for vendor in service.vendors:
        if (value := choice(f"vendor.{vendor}")) is not None:
            update["vendors"][vendor] = value
    if (value := choice("advertising_id")) is not None:
        update["advertising_id"] = value
    return update


async def external_transmission(request: Request) -> Response:
    runtime = _runtime(request)
    entries = notice_entries(runtime.config)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(
            {"policy_version": runtime.config.policy.version, "destinations": entries}
        )
    lang = pick_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    nonce = new_nonce()
    about = notice_about(runtime.config, lang)
    return HTMLResponse(notice_page(lang, entries, nonce, about), headers=_page_headers(nonce))


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/consent", _guard(get_consent), methods=["GET"]),
        Route("/v1/consent", _guard(put_consent), methods=["PUT"]),
        Route("/v1/consent", consent_preflight, methods=["OPTIONS"]),
        Route("/privacy/preferences", preferences_page, methods=["GET"]),
        Route("/privacy/preferences", submit_preferences, methods=["POST"]),
        Route("/privacy/external-transmission", external_transmission, methods=["GET"]),
    ]
