"""/console/*: the pages. A session cookie stands for an admin token (session.py); its
scopes decide what is shown and what can be changed. Forms post back with the session's
CSRF token; a change goes through the same service calls as the JSON API."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import yaml
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.admin.auth import authorize
from gateway.console import pages, panels, service
from gateway.console.api import event_stream, last_event_id
from gateway.console.destination_page import EditorState, editor
from gateway.console.editor import Operation, Stale, listed, version_of
from gateway.console.form import FORM_KEYS, Options, destination_of, place, values_of
from gateway.console.session import (
    CONSOLE_SCOPES,
    COOKIE,
    Session,
    Sessions,
    cleared,
    cookie,
    signed_out,
)
from gateway.destinations.registry import DESTINATION_TYPES
from gateway.errors import ConfigError, Forbidden, Refused, StoreUnavailable
from gateway.privacy.page import csp, new_nonce
from gateway.web.body import read_body
from gateway.web.limits import authenticated

MAX_FORM = 512 * 1024
Page = Callable[[Request, Any, pages.View, Session], Awaitable[Response]]


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in ("ja", "en"):
        return asked
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "ja"


def html(view: pages.View, page: str, status: int = 200) -> Response:
    headers = {"content-security-policy": csp(view.nonce), "cache-control": "no-store"}
    return HTMLResponse(page, status, headers=headers)


def secure(request: Request, runtime: Any) -> bool:
    peer = request.client.host if request.client else None
    scheme = runtime.client_address.scheme(peer, request.headers, request.url.scheme)
    return bool(scheme == "https")


async def form_of(request: Request) -> dict[str, str]:
    body = await read_body(request, MAX_FORM)
    return {k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()}


def to_text(item: dict[str, Any]) -> str:
    return str(yaml.safe_dump(item, sort_keys=False, allow_unicode=True))


NEW_DESTINATION: dict[str, Any] = {
    "name": "",
    "type": "webhook",
    "url": "https://",
    "country": "JP",
    "purposes": ["analytics"],
    "role": "processor",
    "fields": ["type", "event"],
}


def routes(console: service.Console) -> list[BaseRoute]:
    cache: dict[str, Sessions] = {}

    def sessions(runtime: Any) -> Sessions:
        if "s" not in cache:
            cache["s"] = Sessions(runtime.resources.key)
        return cache["s"]

    def view_of(request: Request, runtime: Any, session: Session | None) -> pages.View:
        if session is None:
            return pages.View(lang_of(request), new_nonce(), request.url.path)
        token = sessions(runtime).csrf(session)
        return pages.View(lang_of(request), new_nonce(), request.url.path, session.name, token)

    def page(
        scope: str | None, handler: Page, changes: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """A page behind a session (and a scope); a change also needs the CSRF token."""

        async def wrapped(request: Request) -> Response:
            runtime = request.app.state.runtime
            tokens = runtime.config.gateway.admin.tokens
            session = sessions(runtime).read(request.cookies.get(COOKIE), tokens)
            try:
                if session is not None and await runtime.store.used(signed_out(session)):
                    session = None  # signed out through another worker process
            except StoreUnavailable:
                session = None  # whether it was signed out is unknown: not signed in
            view = view_of(request, runtime, session)
            if session is None:
                if request.method == "GET" and request.url.path == "/console":
                    return html(view, pages.sign_in(view, False))
                return RedirectResponse(view.url("/console"), 303)
            if scope is not None and not session.may(scope):
                text = view.text["need_scope"].format(scope=scope)
                return html(view, pages.message(view, view.text["title"], text), 403)
            try:
                if changes:
                    form = await form_of(request)
                    if not sessions(runtime).csrf_ok(session, form.get("csrf")):
                        text = view.text["expired"]
                        return html(view, pages.message(view, view.text["title"], text), 403)
                    request.state.form = form
                return await handler(request, runtime, view, session)
            except StoreUnavailable:
                text = "storage unavailable, retry later"
                return html(view, pages.message(view, view.text["title"], text), 503)
            except Refused as exc:
                return html(view, pages.message(view, view.text["title"], exc.message), 400)

        return wrapped

    async def sign_in(request: Request) -> Response:
        runtime = request.app.state.runtime
        view = view_of(request, runtime, None)
        origin = request.headers.get("origin")
        scheme = "https" if secure(request, runtime) else "http"
        if origin is not None and origin != f"{scheme}://{request.url.netloc}":
            # Another site cannot sign a visitor in under its own token (login CSRF).
            return html(view, pages.sign_in(view, True), 403)
        form = await form_of(request)
        gateway = runtime.config.gateway
        peer = request.client.host if request.client else None
        address = runtime.client_address.resolve(peer, request.headers)

        async def check() -> str:
            given = f"Bearer {form.get('token', '').strip()}"
            for scope in CONSOLE_SCOPES:
                try:
                    return authorize(given, gateway.admin.tokens, scope)
                except Refused as exc:
                    if exc.code == "unauthorized":
                        raise
            raise Forbidden("no console scope")

        try:
            name = await authenticated(
                runtime.store.limiter, address, gateway.rate_limits.failed_auth_per_ip, check
            )
        except Refused as exc:
            status = 429 if exc.code == "rate_limited" else 401
            return html(view, pages.sign_in(view, True), status)
        minutes = gateway.console.session_minutes
        value = sessions(runtime).issue(name, minutes)
        response = RedirectResponse(view.url("/console"), 303)
        response.headers["set-cookie"] = cookie(value, minutes, secure(request, runtime))
        await runtime.store.log_admin_action({"action": "console.signin", "token": name})
        return response

    async def sign_out(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        sessions(runtime).revoke(s)
        # For every process: the mark lasts as long as the session would have.
        await runtime.store.use_once(signed_out(s), max(1, math.ceil(s.expires - time.time())))
        response = RedirectResponse(view.url("/console"), 303)
        response.headers["set-cookie"] = cleared(secure(request, runtime))
        return response

    async def overview(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        if not s.may("config:read"):
            text = view.text["need_scope"].format(scope="config:read")
            return html(view, pages.message(view, view.text["overview"], text), 403)
        listing = await service.destinations(runtime)
        can_write = s.may("config:write")
        return html(view, pages.overview(view, list(runtime.config.sources), listing, can_write))

    def stored(runtime: Any, name: str | None) -> dict[str, Any] | None:
        items = listed(runtime.config.directory)
        return next((i for _, i in items if name is not None and i.get("name") == name), None)

    async def options_for(runtime: Any) -> Options:
        config = runtime.config
        transfers = config.policy.transfers
        categories = sorted({c for source in config.sources for c in source.allow_categories})
        return Options(
            types=list(DESTINATION_TYPES),
            purposes=[*config.policy.purposes, *categories],
            countries=[transfers.home_country, *transfers.allowed_countries],
            paths=await service.seen_paths(runtime),
        )

    async def edit_page(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        name = request.path_params.get("name")
        notice = {"saved": view.text["saved"]}.get(request.query_params.get("done", ""), "")
        item = NEW_DESTINATION if name is None else stored(runtime, name)
        if item is None:
            return html(view, pages.message(view, view.text["editor"], view.text["not_found"]), 404)
        version = version_of(runtime.config.directory)
        state = EditorState(name, to_text(item), version, [], notice=notice, values=values_of(item))
        page = editor(view, state, await options_for(runtime), s.may("config:write"))
        return html(view, page)

    def read(view: pages.View, form: dict[str, str], state: EditorState, before: Any) -> Any:
        """The destination the form or the YAML makes; None when it cannot be read (the
        state then says why)."""
        if form.get("mode") == "form":
            body, wrong = destination_of(form, before, view.text)
            state.values = {**form, "fields": "\n".join(body["fields"])}
            state.text = to_text(body)
            state.beside = wrong
            return None if wrong else body
        state.advanced = True
        try:
            parsed, cause = yaml.safe_load(state.text), ""
        except yaml.YAMLError as exc:
            parsed, cause = None, f" ({type(exc).__name__})"
        if not isinstance(parsed, dict):
            state.problems = [f"{view.text['config_label']}: {view.text['bad_yaml']}{cause}"]
            return None
        state.values = values_of(parsed)
        return parsed

    async def save(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        form = request.state.form
        name = request.path_params.get("name")
        state = EditorState(name, form.get("config", ""), form.get("version", ""), [])
        options = await options_for(runtime)
        body = read(view, form, state, stored(runtime, name))
        if body is None:
            return html(view, editor(view, state, options, True), 422)
        operation: Operation = "replace" if name else "add"
        try:
            target, body = service.body_name(body, name)
            await service.change(console, runtime, s.name, operation, target, body, state.version)
        except Stale as exc:
            current = stored(runtime, name)
            state.version = exc.current
            state.conflict = to_text(current) if current is not None else ""
            return html(view, editor(view, state, options, True), 409)
        except ConfigError as exc:
            if state.advanced:
                state.problems = exc.problems
            else:
                others = {str(key) for key in body} - set(FORM_KEYS)
                state.beside, state.problems = place(exc.problems, target, others)
            return html(view, editor(view, state, options, True), 422)
        except Refused as exc:  # a name that differs, a destination removed meanwhile
            state.problems = [exc.message]
            return html(view, editor(view, state, options, True), 422)
        return RedirectResponse(view.url(f"/console/destinations/{target}?done=saved"), 303)

    async def delete(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        name = request.path_params["name"]
        version = request.state.form.get("version", "")
        try:
            await service.change(console, runtime, s.name, "remove", name, None, version)
        except Stale:
            return html(view, pages.message(view, view.text["editor"], view.text["conflict"]), 409)
        except ConfigError as exc:
            return html(
                view, pages.message(view, view.text["editor"], "; ".join(exc.problems)), 422
            )
        return RedirectResponse(view.url("/console"), 303)

    async def test_send(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        name = request.path_params["name"]
        result = await service.send_test(runtime, name)
        await runtime.store.log_admin_action(
            {
                "action": "destination.test",
                "token": s.name,
                "destination": name,
                "sent": result["sent"],
            }
        )
        return html(view, panels.test_result(view, result))

    async def preview(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        sources = [source.id for source in runtime.config.sources]
        recent = (await service.recent(runtime, None, 20))["events"] if s.may("debug:read") else []
        if request.method == "GET":
            page = panels.preview(
                view, sources, sources[0] if sources else "", "", recent, None, None
            )
            return html(view, page)
        form = request.state.form
        chosen, text = form.get("source", ""), form.get("event", "")
        picked = next((r for r in recent if r.get("messageId") == form.get("recent")), None)
        if picked is not None:
            text = json.dumps(picked["event"], ensure_ascii=False, indent=2)
            chosen = picked["source"]
        source = next((x for x in runtime.config.sources if x.id == chosen), None)
        key = source.write_key if source is not None else None
        result, error = None, None
        try:
            result = await service.preview(runtime, text.encode(), key)
        except Refused as exc:
            error = exc.message
        page = panels.preview(view, sources, chosen, text, recent, result, error)
        return html(view, page, 200 if error is None else 400)

    async def debugger(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        return html(view, panels.debugger(view, await service.recent(runtime, None, 100)))

    async def plans(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        found = await service.plan_violations(runtime, None)
        seconds = runtime.config.gateway.console.debugger_seconds
        return html(view, panels.plan_violations(view, found, seconds))

    async def stream(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        if not runtime.config.gateway.console.debugger:
            return html(
                view, pages.message(view, view.text["debugger"], view.text["debugger_off"]), 404
            )
        return event_stream(runtime, None, last_event_id(request))

    async def dead(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
        rows = await service.dead_letters(runtime, None, 500)
        notice = request.query_params.get("done", "")
        notice = f"{view.text['done']} {notice}" if notice.isdigit() else ""
        return html(view, panels.dead_letters(view, rows, notice, True))

    def dead_action(action: str) -> Page:
        async def act(request: Request, runtime: Any, view: pages.View, s: Session) -> Response:
            ident = request.state.form.get("id", "")
            count = await service.act_on_dead_letters(runtime, action, None, [ident])
            await runtime.store.log_admin_action(
                {"action": f"deadletter.{action}", "token": s.name, "count": count}
            )
            return RedirectResponse(view.url(f"/console/deadletters?done={count}"), 303)

        return act

    entry = page(None, overview)

    return [
        Route("/console", entry, methods=["GET"]),
        Route("/console/signin", sign_in, methods=["POST"]),
        Route("/console/signout", page(None, sign_out, True), methods=["POST"]),
        Route("/console/new", page("config:read", edit_page), methods=["GET"]),
        Route("/console/new", page("config:write", save, True), methods=["POST"]),
        Route("/console/destinations/{name}", page("config:read", edit_page), methods=["GET"]),
        Route("/console/destinations/{name}", page("config:write", save, True), methods=["POST"]),
        Route(
            "/console/destinations/{name}/delete",
            page("config:write", delete, True),
            methods=["POST"],
        ),
        Route(
            "/console/destinations/{name}/test",
            page("config:write", test_send, True),
            methods=["POST"],
        ),
        Route("/console/preview", page("config:read", preview), methods=["GET"]),
        Route("/console/preview", page("config:read", preview, True), methods=["POST"]),
        Route("/console/debugger", page("debug:read", debugger), methods=["GET"]),
        Route("/console/events/stream", page("debug:read", stream), methods=["GET"]),
        Route("/console/plans", page("debug:read", plans), methods=["GET"]),
        Route("/console/deadletters", page("deadletter", dead), methods=["GET"]),
        Route(
            "/console/deadletters/replay",
            page("deadletter", dead_action("replay"), True),
            methods=["POST"],
        ),
        Route(
            "/console/deadletters/drop",
            page("deadletter", dead_action("drop"), True),
            methods=["POST"],
        ),
    ]
