"""The OpenAPI description of /admin/api/* and /console/* (gateway/openapi.py adds it to the
document it serves)."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
JSON = "application/json"
SCOPES_OF_DEAD_LETTERS = "deadletter"


def _error(description: str) -> Schema:
    return {
        "description": description,
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, schema: Schema | None = None) -> Schema:
    return {"description": description, "content": {JSON: {"schema": schema or {"type": "object"}}}}


def _html(description: str) -> Schema:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


BODY_ERRORS = {
    "400": _error("not valid JSON, or not the object this endpoint takes"),
    "413": _error("body too large"),
    "415": _error("an unsupported content encoding"),
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "the version the change was made against (428 without it)",
    "schema": {"type": "string"},
}
NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}
DESTINATION = {"type": "object", "description": "a destination, as in destinations.yaml"}
CHANGED = {
    "200": _json(
        "saved, checked and reloaded: the new version",
        {"type": "object", "required": ["version"], "properties": {"version": {"type": "string"}}},
    ),
    "412": _json("someone saved first: the current version", {"type": "object"}),
    "422": _json(
        "the config would not pass `gateway check`: its sentences; nothing was written",
        {"type": "object", "properties": {"problems": {"type": "array"}}},
    ),
    "428": _error("no If-Match header"),
}


def _operation(
    operation_id: str, summary: str, scope: str, responses: dict[str, Schema], **extra: Any
) -> Schema:
    return {
        "tags": ["console"],
        "summary": f"{summary} (scope {scope})",
        "operationId": operation_id,
        "security": [{"adminToken": []}],
        "responses": {
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Forbidden"},
            "429": {"$ref": "#/components/responses/RateLimited"},
            "503": {"$ref": "#/components/responses/Unavailable"},
            **responses,
        },
        **extra,
    }


def _body(schema: Schema) -> Schema:
    return {"required": True, "content": {JSON: {"schema": schema}}}


SELECTION = {
    "type": "object",
    "properties": {"destination": {"type": "string"}, "ids": {"type": "array"}},
}


def api_paths() -> dict[str, Schema]:
    prefix = "/admin/api"
    return {
        f"{prefix}/destinations": {
            "get": _operation(
                "consoleDestinations",
                "Destinations as in their files, with live status and the version",
                "config:read",
                {"200": _json("the version and the destinations")},
            ),
            "post": _operation(
                "consoleAddDestination",
                "Add a destination",
                "config:write",
                {**CHANGED, **BODY_ERRORS},
                parameters=[IF_MATCH],
                requestBody=_body(DESTINATION),
            ),
        },
        f"{prefix}/destinations/{{name}}": {
            "put": _operation(
                "consoleReplaceDestination",
                "Change a destination",
                "config:write",
                {**CHANGED, **BODY_ERRORS, "404": _error("no such destination")},
                parameters=[NAME, IF_MATCH],
                requestBody=_body(DESTINATION),
            ),
            "delete": _operation(
                "consoleRemoveDestination",
                "Remove a destination",
                "config:write",
                {**CHANGED, "404": _error("no such destination")},
                parameters=[NAME, IF_MATCH],
            ),
        },
        f"{prefix}/destinations/{{name}}/test": {
            "post": _operation(
                "consoleTestEvent",
                "Send a test event through the destination's adapter; the vendor's answer",
                "config:write",
                {"200": _json("what the vendor answered"), "404": _error("no such destination")},
                parameters=[NAME],
            )
        },
        f"{prefix}/changes": {
            "get": _operation(
                "consoleChanges",
                "The change log: who, when, the diff",
                "config:read",
                {"200": _json("newest first"), "400": _error("a bad limit")},
                parameters=[LIMIT],
            )
        },
        f"{prefix}/preview": {
            "post": _operation(
                "consolePreview",
                "The explain trace of an event (or batch)",
                "config:read",
                {**BODY_ERRORS, "200": _json("the trace"), "401": _error("unknown write key")},
                parameters=[{"name": "write_key", "in": "query", "schema": {"type": "string"}}],
                requestBody=_body({"type": "object"}),
            )
        },
        f"{prefix}/events/recent": {
            "get": _operation(
                "consoleRecentEvents",
                "Latest events after the policy, with each destination's verdict",
                "debug:read",
                {"200": _json("newest first"), "400": _error("a bad limit")},
                parameters=[LIMIT, {"name": "source", "in": "query", "schema": {"type": "string"}}],
            )
        },
        f"{prefix}/events/stream": {
            "get": _operation(
                "consoleEventStream",
                "The same as server-sent events",
                "debug:read",
                {
                    "200": {
                        "description": "an event stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "404": _error("the debugger is off (console.debugger)"),
                },
                parameters=[{"name": "source", "in": "query", "schema": {"type": "string"}}],
            )
        },
        f"{prefix}/plans/violations": {
            "get": _operation(
                "consolePlanViolations",
                "Tracking-plan findings in the debugger's window, per source, plan and event",
                "debug:read",
                {"200": _json("groups, newest first (paths and reason codes, never values)")},
                parameters=[{"name": "source", "in": "query", "schema": {"type": "string"}}],
            )
        },
        f"{prefix}/deadletters": {
            "get": _operation(
                "consoleDeadLetters",
                "Dead letters: destination, reason code, age, messageId",
                SCOPES_OF_DEAD_LETTERS,
                {"200": _json("oldest first"), "400": _error("a bad limit")},
                parameters=[
                    LIMIT,
                    {"name": "destination", "in": "query", "schema": {"type": "string"}},
                ],
            )
        },
        f"{prefix}/deadletters/{{id}}": {
            "get": _operation(
                "consoleDeadLetter",
                "One dead letter with its payload",
                SCOPES_OF_DEAD_LETTERS,
                {"200": _json("the dead letter"), "404": _error("no such dead letter")},
                parameters=[
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            )
        },
        f"{prefix}/deadletters/replay": {
            "post": _operation(
                "consoleReplayDeadLetters",
                "Put dead letters back in the outbox",
                SCOPES_OF_DEAD_LETTERS,
                {**BODY_ERRORS, "200": _json("how many")},
                requestBody=_body(SELECTION),
            )
        },
        f"{prefix}/deadletters/drop": {
            "post": _operation(
                "consoleDropDeadLetters",
                "Delete dead letters for good",
                SCOPES_OF_DEAD_LETTERS,
                {**BODY_ERRORS, "200": _json("how many")},
                requestBody=_body(SELECTION),
            )
        },
    }


SIGNED_OUT = {"303": {"description": "not signed in: to the sign-in page"}}
PAGE_ERRORS = {
    "400": _html("a refused input"),
    "403": _html("the session's token lacks the scope, or the form's CSRF token is wrong"),
    "503": _html("the store cannot be reached; retry later"),
}
FORM = {
    "required": True,
    "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
}


def _page(operation_id: str, summary: str, responses: dict[str, Schema], **extra: Any) -> Schema:
    return {
        "tags": ["console"],
        "summary": summary,
        "operationId": operation_id,
        "security": [{"consoleSession": []}],
        "parameters": [{"name": "lang", "in": "query", "schema": {"enum": ["ja", "en"]}}],
        "responses": {**SIGNED_OUT, **PAGE_ERRORS, **responses},
        **extra,
    }


def _form(operation_id: str, summary: str, responses: dict[str, Schema]) -> Schema:
    done = {"303": {"description": "done (or not signed in): to the next page"}}
    return _page(operation_id, summary, {**responses, **done}, requestBody=FORM)


def page_paths() -> dict[str, Schema]:
    """The console's pages (HTML; sign in with an admin token for a session cookie)."""
    edited = {
        "409": _html("someone saved first: both texts shown"),
        "422": _html("the check's sentences, beside the keys they name; nothing written"),
    }
    paths: dict[str, Schema] = {
        "/console": {
            "get": _page("consoleOverview", "Overview, or the sign-in form", {"200": _html("page")})
        },
        "/console/signin": {
            "post": {
                "tags": ["console"],
                "summary": "Sign in with an admin token (sets the session cookie)",
                "operationId": "consoleSignIn",
                "requestBody": FORM,
                "responses": {
                    "303": {"description": "signed in: to the overview"},
                    "401": _html("unknown token, or no console scope"),
                    "403": _html("posted from another site (Origin)"),
                    "413": _html("body too large"),
                    "429": _html("too many failed attempts from this address"),
                },
            }
        },
        "/console/signout": {"post": _form("consoleSignOut", "Sign out", {})},
        "/console/new": {
            "get": _page("consoleNewPage", "Editor for a new destination", {"200": _html("page")}),
            "post": _form("consoleNew", "Add a destination", edited),
        },
        "/console/destinations/{name}": {
            "get": _page(
                "consoleEditor",
                "Destination editor",
                {"200": _html("page"), "404": _html("no such destination")},
            ),
            "post": _form("consoleSave", "Save a destination", edited),
        },
        "/console/destinations/{name}/delete": {
            "post": _form("consoleDelete", "Remove a destination", edited)
        },
        "/console/destinations/{name}/test": {
            "post": _form("consoleTest", "Send a test event", {"200": _html("the answer")})
        },
        "/console/preview": {
            "get": _page("consolePreviewPage", "Preview form", {"200": _html("page")}),
            "post": _form("consolePreviewRun", "Preview an event", {"200": _html("the trace")}),
        },
        "/console/debugger": {
            "get": _page("consoleDebugger", "Live debugger", {"200": _html("page")})
        },
        "/console/plans": {
            "get": _page(
                "consolePlanViolationsPage", "Tracking-plan violations", {"200": _html("page")}
            )
        },
        "/console/events/stream": {
            "get": _page(
                "consoleDebuggerStream",
                "The debugger's server-sent events",
                {
                    "200": {
                        "description": "an event stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "404": _html("the debugger is off"),
                },
            )
        },
        "/console/deadletters": {
            "get": _page("consoleDeadLettersPage", "Dead letters", {"200": _html("page")})
        },
        "/console/deadletters/replay": {"post": _form("consoleReplay", "Replay a dead letter", {})},
        "/console/deadletters/drop": {"post": _form("consoleDrop", "Drop a dead letter", {})},
    }
    for path, item in paths.items():
        if "{name}" in path:
            for operation in item.values():
                operation["parameters"] = [NAME, *operation["parameters"]]
    return paths
