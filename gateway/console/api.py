"""/admin/api/*: the console's JSON API, for scripts too. Bearer admin tokens with the
scopes config:read, config:write, debug:read (and deadletter for the dead letters)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from gateway.admin.routes import guard, token_name
from gateway.console import service
from gateway.console.editor import Operation, Stale
from gateway.errors import BadRequest, ConfigError, StoreUnavailable
from gateway.observability.debugger import ENTRY_ID, id_order
from gateway.web.body import read_body, read_json

MAX_BODY = 256 * 1024
STREAM_SECONDS = 20.0
KEEPALIVE_SECONDS = 10.0
RECONNECT_MS = 500
Handler = Callable[[Request, Any], Awaitable[Response]]


def expected_version(request: Request) -> str | None:
    """The version named by If-Match (quotes and a weak prefix allowed)."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    return value.strip().removeprefix("W/").strip('"')


def conflict(current: str) -> Response:
    body = {
        "success": False,
        "error": "someone saved first: reload and apply your change again",
        "version": current,
    }
    return JSONResponse(body, 412, headers={"etag": f'"{current}"'})


def problems(exc: ConfigError) -> Response:
    body = {
        "success": False,
        "error": "the config would not pass the check; nothing was written",
        "problems": exc.problems,
    }
    return JSONResponse(body, 422)


def limit_of(request: Request, default: int, most: int) -> int:
    text = request.query_params.get("limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise BadRequest(f"limit: a whole number from 1 to {most}")
    return int(text)


def routes(console: service.Console) -> list[BaseRoute]:
    async def list_destinations(request: Request, runtime: Any) -> Response:
        await token_name(request, runtime, "config:read")
        listing = await service.destinations(runtime)
        return JSONResponse(listing, headers={"etag": f'"{listing["version"]}"'})

    async def edit(request: Request, runtime: Any, operation: Operation) -> Response:
        who = await token_name(request, runtime, "config:write")
        expected = expected_version(request)
        if expected is None:
            return JSONResponse(
                {"success": False, "error": "If-Match: the version you edited is required"}, 428
            )
        path_name = request.path_params.get("name")
        if operation == "remove":
            name, body = str(path_name), None
        else:
            name, body = service.body_name(await read_json(request, MAX_BODY), path_name)
        try:
            result = await service.change(console, runtime, who, operation, name, body, expected)
        except Stale as exc:
            return conflict(exc.current)
        except ConfigError as exc:
            return problems(exc)
        return JSONResponse(result, headers={"etag": f'"{result["version"]}"'})

    async def add(request: Request, runtime: Any) -> Response:
        return await edit(request, runtime, "add")

    async def replace(request: Request, runtime: Any) -> Response:
        return await edit(request, runtime, "replace")

    async def remove(request: Request, runtime: Any) -> Response:
        return await edit(request, runtime, "remove")

    async def test_send(request: Request, runtime: Any) -> Response:
        who = await token_name(request, runtime, "config:write")
        name = request.path_params["name"]
        result = await service.send_test(runtime, name)
        await runtime.store.log_admin_action(
            {
                "action": "destination.test",
                "token": who,
                "destination": name,
                "sent": result["sent"],
            }
        )
        return JSONResponse(result)

    async def preview(request: Request, runtime: Any) -> Response:
        await token_name(request, runtime, "config:read")
        body = await read_body(request, runtime.config.gateway.limits.max_batch_bytes)
        return JSONResponse(
            await service.preview(runtime, body, request.query_params.get("write_key"))
        )

    async def changes(request: Request, runtime: Any) -> Response:
        await token_name(request, runtime, "config:read")
        return JSONResponse(
            {"changes": await service.changes(runtime, limit_of(request, 50, 1000))}
        )

    async def recent(request: Request, runtime: Any) -> Response:
        await token_name(request, runtime, "debug:read")
        source = request.query_params.get("source")
        return JSONResponse(await service.recent(runtime, source, limit_of(request, 50, 1000)))

    async def plan_violations(request: Request, runtime: Any) -> Response:
        await token_name(request, runtime, "debug:read")
        source = request.query_params.get("source")
        return JSONResponse(await service.plan_violations(runtime, source))

    async def stream(request: Request, runtime: Any) -> Response:
        await token_name(request, runtime, "debug:read")
        if not runtime.config.gateway.console.debugger:
            return JSONResponse(
                {"success": False, "error": "the debugger is off (console.debugger)"}, 404
            )
        return event_stream(runtime, request.query_params.get("source"), last_event_id(request))

    async def list_dead(request: Request, runtime: Any) -> Response:
        await token_name(request, runtime, "deadletter")
        destination = request.query_params.get("destination")
        rows = await service.dead_letters(runtime, destination, limit_of(request, 100, 10_000))
        return JSONResponse({"dead_letters": rows})

    async def show_dead(request: Request, runtime: Any) -> Response:
        await token_name(request, runtime, "deadletter")
        return JSONResponse(await service.dead_letter(runtime, request.path_params["id"]))

    async def act_dead(request: Request, runtime: Any, action: str) -> Response:
        who = await token_name(request, runtime, "deadletter")
        body = await read_json(request, MAX_BODY)
        destination, ids = _selection(body)
        count = await service.act_on_dead_letters(runtime, action, destination, ids)
        await runtime.store.log_admin_action(
            {
                "action": f"deadletter.{action}",
                "token": who,
                "destination": destination,
                "count": count,
            }
        )
        return JSONResponse({"replayed" if action == "replay" else "dropped": count})

    async def replay_dead(request: Request, runtime: Any) -> Response:
        return await act_dead(request, runtime, "replay")

    async def drop_dead(request: Request, runtime: Any) -> Response:
        return await act_dead(request, runtime, "drop")

    prefix = "/admin/api"
    return [
        Route(f"{prefix}/destinations", guard(list_destinations), methods=["GET"]),
        Route(f"{prefix}/destinations", guard(add), methods=["POST"]),
        Route(f"{prefix}/destinations/{{name}}", guard(replace), methods=["PUT"]),
        Route(f"{prefix}/destinations/{{name}}", guard(remove), methods=["DELETE"]),
        Route(f"{prefix}/destinations/{{name}}/test", guard(test_send), methods=["POST"]),
        Route(f"{prefix}/changes", guard(changes), methods=["GET"]),
        Route(f"{prefix}/preview", guard(preview), methods=["POST"]),
        Route(f"{prefix}/events/recent", guard(recent), methods=["GET"]),
        Route(f"{prefix}/events/stream", guard(stream), methods=["GET"]),
        Route(f"{prefix}/plans/violations", guard(plan_violations), methods=["GET"]),
        Route(f"{prefix}/deadletters", guard(list_dead), methods=["GET"]),
        Route(f"{prefix}/deadletters/{{id}}", guard(show_dead), methods=["GET"]),
        Route(f"{prefix}/deadletters/replay", guard(replay_dead), methods=["POST"]),
        Route(f"{prefix}/deadletters/drop", guard(drop_dead), methods=["POST"]),
    ]


def _selection(body: Any) -> tuple[str | None, list[str] | None]:
    if not isinstance(body, dict):
        raise BadRequest("the body must be an object with destination and/or ids")
    destination, ids = body.get("destination"), body.get("ids")
    if destination is not None and not isinstance(destination, str):
        raise BadRequest("destination: a name")
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        raise BadRequest("ids: a list of dead-letter ids")
    return destination or None, ids or None


def last_event_id(request: Request) -> str | None:
    """The id an EventSource sends back when it reconnects (Last-Event-ID)."""
    value = request.headers.get("last-event-id", "")
    return value if ENTRY_ID.fullmatch(value) else None


def event_stream(runtime: Any, source: str | None, last_id: str | None = None) -> Response:
    """Server-sent events: each new debugger entry as `id:` and one `data:` line of JSON; a
    comment every KEEPALIVE_SECONDS. A stream ends after STREAM_SECONDS so that no open
    console tab holds a shutting-down server for long; the browser reconnects by itself
    (`retry:`), sends the last id it saw and gets what it missed from the buffer first."""
    buffer = runtime.debugger
    console = runtime.config.gateway.console

    def message(entry: dict[str, Any]) -> bytes:
        return f"id: {entry['id']}\nevent: event\ndata: ".encode() + orjson.dumps(entry) + b"\n\n"

    async def lines() -> AsyncIterator[bytes]:
        queue = buffer.listen(console.debugger_events)
        sent = id_order(last_id or "0-0")
        try:
            yield f"retry: {RECONNECT_MS}\n: debugger\n\n".encode()
            if last_id is not None:
                missed: list[dict[str, Any]] = []
                with contextlib.suppress(StoreUnavailable):  # the live part may still work
                    missed = await buffer.recent(
                        console.debugger_seconds, source, console.debugger_events
                    )
                for entry in reversed(missed):
                    if id_order(entry["id"]) > sent:
                        sent = id_order(entry["id"])
                        yield message(entry)
            loop = asyncio.get_running_loop()
            end = loop.time() + STREAM_SECONDS
            while (left := end - loop.time()) > 0:
                try:
                    entry = await asyncio.wait_for(queue.get(), min(left, KEEPALIVE_SECONDS))
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if id_order(entry["id"]) > sent and (source is None or entry["source"] == source):
                    sent = id_order(entry["id"])
                    yield message(entry)
        finally:
            with contextlib.suppress(Exception):
                buffer.unlisten(queue)

    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(lines(), media_type="text/event-stream", headers=headers)
