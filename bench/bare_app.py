"""The baseline: a Starlette endpoint that reads the body and answers 200, nothing else.
Run by the benchmark as `uvicorn bench.bare_app:app` with the gateway's uvicorn settings."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

OK_BODY = b'{"success":true}'


async def collect(request: Request) -> Response:
    await request.body()
    return Response(OK_BODY, 200, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", collect, methods=["GET", "POST"])])
