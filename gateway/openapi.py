"""The OpenAPI 3.1 document of every HTTP surface, served at /openapi.json.

Written by hand beside the routes (Starlette has no models to derive it from);
tests/test_openapi.py checks that it names exactly the routes app.py serves and runs
schemathesis against a live server with it, so the two cannot drift apart silently."""

from __future__ import annotations

from typing import Any

from gateway.console.spec import api_paths as console_api_paths
from gateway.console.spec import page_paths as console_page_paths
from gateway.ingest.routes import ENDPOINTS
from gateway.privacy.requests import ACTIONS as DSAR_ACTIONS

JSON = "application/json"
Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def error(description: str, *, retry_after: bool = False) -> Schema:
    response = json_body(ref("Error"), description)
    if retry_after:
        response["headers"] = {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}
    return response


def html(description: str) -> Schema:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


SEGMENT_EVENT: Schema = {
    "type": "object",
    "description": "A Segment Spec event. Unknown keys are kept for the policy to judge; "
    "a destination receives only the paths its rule names.",
    "properties": {
        "type": {"enum": ["track", "page", "screen", "identify", "group", "alias"]},
        "messageId": {"type": "string"},
        "anonymousId": {"type": ["string", "null"]},
        "userId": {"type": ["string", "null"]},
        "event": {"type": "string"},
        "name": {"type": "string"},
        "properties": {"type": "object"},
        "traits": {"type": "object"},
        "context": {"type": "object"},
        "integrations": {"type": "object"},
        "timestamp": {"type": "string", "format": "date-time"},
        "sentAt": {"type": "string", "format": "date-time"},
        "writeKey": {"type": "string", "description": "instead of Basic auth (sendBeacon)"},
    },
}
SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"success": {"const": False}, "error": {"type": "string"}},
    },
    "Accepted": {
        "type": "object",
        "required": ["success"],
        "properties": {
            "success": {"const": True},
            "refused": {
                "type": "integer",
                "description": "events refused through a fault of the gateway's own",
            },
        },
    },
    "Event": SEGMENT_EVENT,
    "Batch": {
        "type": "object",
        "required": ["batch"],
        "properties": {
            "batch": {"type": "array", "items": ref("Event")},
            "writeKey": {"type": "string"},
            "context": {"type": "object"},
            "sentAt": {"type": "string", "format": "date-time"},
        },
    },
    "Choices": {
        "type": "object",
        "properties": {
            "purposes": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "vendors": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "advertising_id": {"type": "boolean"},
        },
    },
    "ConsentState": {
        "type": "object",
        "description": "The device's choices and the consent each purpose and vendor has now.",
        "required": ["gpc"],
        "properties": {"gpc": {"type": "boolean"}},
    },
    "DsarRequest": {
        "type": "object",
        "required": ["subject"],
        "properties": {
            "subject": {"type": "string", "minLength": 1},
            "preferences": ref("Choices"),
        },
    },
    "Status": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}},
    },
}
RESPONSES: dict[str, Schema] = {
    "Unauthorized": error("missing, unknown or expired credentials"),
    "Forbidden": error("the credentials do not allow this"),
    "Unavailable": error("the store cannot be reached; retry later", retry_after=True),
    "RateLimited": error(
        "over a rate limit (requests, events, consent writes, new devices or failed "
        "credentials per address; see rate_limits)",
        retry_after=True,
    ),
}
RATE_LIMITED = {"$ref": "#/components/responses/RateLimited"}


def ingest(path: str) -> Schema:
    batch = path in ("/v1/batch", "/v1/import", "/v1/b")
    body = ref("Batch") if batch else ref("Event")
    return {
        "post": {
            "tags": ["ingest"],
            "summary": "Accept events (Segment-compatible)" if batch else "Accept one event",
            "operationId": "ingest" + path.replace("/", "_"),
            "security": [{"writeKey": []}, {}],
            "requestBody": {
                "required": True,
                "content": {JSON: {"schema": body}, "text/plain": {"schema": {"type": "string"}}},
            },
            "responses": {
                "200": {
                    **json_body(ref("Accepted"), "stored durably in the outbox"),
                    "headers": {
                        "Gateway-Subject": {
                            "description": "subject token (app sources)",
                            "schema": {"type": "string"},
                        }
                    },
                },
                "400": error("invalid JSON or an event that breaks the Segment Spec"),
                "401": RESPONSES["Unauthorized"],
                "413": error("over the size limits"),
                "415": error("not application/json or text/plain"),
                "429": RATE_LIMITED,
                "503": RESPONSES["Unavailable"],
            },
        },
        "options": {
            "tags": ["ingest"],
            "summary": "CORS preflight",
            "operationId": "preflight" + path.replace("/", "_"),
            "responses": {
                "204": {"description": "the origin is allowed"},
                "403": {"description": "the origin is not allowed"},
            },
        },
    }


def admin(summary: str, scope: str, body: Schema | None, extra: dict[str, Schema]) -> Schema:
    operation: Schema = {
        "tags": ["admin"],
        "summary": f"{summary} (scope {scope})",
        "security": [{"adminToken": []}],
        "responses": {
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Forbidden"},
            "429": RATE_LIMITED,
            "503": {"$ref": "#/components/responses/Unavailable"},
            **extra,
        },
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    return operation


def consent() -> Schema:
    unavailable = {"$ref": "#/components/responses/Unavailable"}
    unauthorized = {"$ref": "#/components/responses/Unauthorized"}
    return {
        "get": {
            "tags": ["consent"],
            "summary": "The device's preferences and consent",
            "operationId": "getConsent",
            "security": [{"subjectHeader": []}, {"subjectCookie": []}],
            "responses": {
                "200": json_body(ref("ConsentState"), "current state"),
                "401": unauthorized,
                "429": RATE_LIMITED,
                "503": unavailable,
            },
        },
        "put": {
            "tags": ["consent"],
            "summary": "Change the device's preferences",
            "operationId": "putConsent",
            "security": [{"subjectHeader": []}, {"subjectCookie": []}],
            "requestBody": {"required": True, "content": {JSON: {"schema": ref("Choices")}}},
            "responses": {
                "200": json_body(ref("ConsentState"), "the state after the change"),
                "400": error("not a valid change"),
                "401": unauthorized,
                "403": error("origin not allowed, or a missing or used CSRF token"),
                "413": error("body too large"),
                "429": RATE_LIMITED,
                "503": unavailable,
            },
        },
        "options": {
            "tags": ["consent"],
            "summary": "CORS preflight",
            "operationId": "preflightConsent",
            "responses": {
                "204": {"description": "the origin is allowed"},
                "403": {"description": "the origin is not allowed"},
            },
        },
    }


def privacy_pages() -> dict[str, Schema]:
    unavailable = html("the store cannot be reached; retry later")
    return {
        "/privacy/preferences": {
            "get": {
                "tags": ["privacy"],
                "summary": "Preference center (Japanese/English)",
                "operationId": "preferencesPage",
                "parameters": [{"name": "lang", "in": "query", "schema": {"enum": ["ja", "en"]}}],
                "responses": {
                    "200": html("the page"),
                    "429": RATE_LIMITED,
                    "503": unavailable,
                },
            },
            "post": {
                "tags": ["privacy"],
                "summary": "The preference form, without JavaScript",
                "operationId": "preferencesSubmit",
                "requestBody": {
                    "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}
                },
                "responses": {
                    "200": html("the page, saying the change was saved"),
                    "403": html("the page, saying the form expired or was already used"),
                    "413": error("body too large"),
                    "429": RATE_LIMITED,
                    "503": unavailable,
                },
            },
        },
        "/privacy/external-transmission": {
            "get": {
                "tags": ["privacy"],
                "summary": "What goes to which outside service (HTML, or JSON on Accept)",
                "operationId": "externalTransmission",
                "parameters": [{"name": "lang", "in": "query", "schema": {"enum": ["ja", "en"]}}],
                "responses": {
                    "200": {
                        "description": "the notice",
                        "content": {
                            "text/html": {"schema": {"type": "string"}},
                            JSON: {
                                "schema": {
                                    "type": "object",
                                    "required": ["policy_version", "destinations"],
                                    "properties": {
                                        "policy_version": {"type": "string"},
                                        "destinations": {"type": "array"},
                                    },
                                }
                            },
                        },
                    }
                },
            }
        },
    }


def admin_paths() -> dict[str, Schema]:
    event_or_batch = {"oneOf": [ref("Event"), ref("Batch")]}
    return {
        "/admin/explain": {
            "post": {
                **admin(
                    "Explain what the policy does to an event",
                    "explain",
                    event_or_batch,
                    {
                        "200": json_body({"type": "object"}, "the trace"),
                        "400": error("not an event"),
                        "413": error("body too large"),
                    },
                ),
                "operationId": "adminExplain",
                "parameters": [
                    {"name": "write_key", "in": "query", "schema": {"type": "string"}},
                ],
            }
        },
        "/admin/reload": {
            "post": {
                **admin(
                    "Reload the config directory",
                    "reload",
                    None,
                    {
                        "200": json_body({"type": "object"}, "reloaded"),
                        "400": json_body({"type": "object"}, "refused: the problems"),
                    },
                ),
                "operationId": "adminReload",
            }
        },
        "/admin/dsar/{action}": {
            "post": {
                **admin(
                    "A data-subject request",
                    "dsar:read for disclosure, dsar:write otherwise",
                    ref("DsarRequest"),
                    {
                        "200": json_body({"type": "object"}, "the result"),
                        "400": error("no subject, or not valid JSON"),
                        "404": error("unknown request type"),
                        "413": error("body too large"),
                    },
                ),
                "operationId": "adminDsar",
                "parameters": [
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": list(DSAR_ACTIONS)},
                    }
                ],
            }
        },
    }


def operations() -> dict[str, Schema]:
    json_ok = {"description": "JSON", "content": {JSON: {"schema": {"type": "object"}}}}
    not_found = error("not found here")
    paths: dict[str, Schema] = {
        "/": {
            "get": {
                "summary": "Index page",
                "operationId": "index",
                "responses": {"200": html("links")},
            }
        },
        "/healthz": {
            "get": {
                "tags": ["operations"],
                "summary": "Liveness",
                "operationId": "healthz",
                "responses": {"200": json_body(ref("Status"), "alive")},
            }
        },
        "/readyz": {
            "get": {
                "tags": ["operations"],
                "summary": "Readiness: the store answers",
                "operationId": "readyz",
                "responses": {
                    "200": json_body(ref("Status"), "ready"),
                    "503": json_body(ref("Status"), "the store is unreachable"),
                },
            }
        },
        "/metrics": {
            "get": {
                "tags": ["operations"],
                "summary": "Prometheus metrics",
                "operationId": "metrics",
                "responses": {
                    "200": {
                        "description": "text exposition format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": error(
                        "admin.protect_metrics is on and no token with the metrics scope was given"
                    ),
                    "429": RATE_LIMITED,
                },
            }
        },
        "/openapi.json": {
            "get": {
                "tags": ["operations"],
                "summary": "This document",
                "operationId": "openapi",
                "responses": {"200": json_ok},
            }
        },
        "/v1/projects/{write_key}/settings": {
            "get": {
                "tags": ["ingest"],
                "summary": "Settings document for Segment mobile SDKs",
                "operationId": "sourceSettings",
                "parameters": [
                    {
                        "name": "write_key",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {"200": json_ok, "404": error("unknown write key")},
            }
        },
        "/sdk/v1/{name}": {
            "get": {
                "tags": ["ingest"],
                "summary": "The browser SDK, first-party",
                "operationId": "sdkFile",
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "the script",
                        "content": {"text/javascript": {"schema": {"type": "string"}}},
                    },
                    "304": {"description": "unchanged (If-None-Match)"},
                    "404": not_found,
                },
            }
        },
        "/demo": {
            "get": {
                "tags": ["demo"],
                "summary": "Demo page (demo.enabled)",
                "operationId": "demo",
                "responses": {"200": html("the page"), "404": error("demo disabled")},
            }
        },
        "/demo/feed": {
            "get": {
                "tags": ["demo"],
                "summary": "What file destinations received (demo.enabled)",
                "operationId": "demoFeed",
                "responses": {"200": json_ok, "404": error("demo disabled")},
            }
        },
    }
    return paths


def document(version: str) -> Schema:
    """The whole document; `version` is the gateway's package version."""
    paths: dict[str, Schema] = {}
    for path in ENDPOINTS:
        paths[path] = ingest(path)
    paths["/v1/consent"] = consent()
    paths.update(privacy_pages())
    paths.update(admin_paths())
    paths.update(console_api_paths())
    paths.update(console_page_paths())
    paths.update(operations())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "consent gateway",
            "version": version,
            "description": "Segment-compatible ingestion that enforces a privacy policy "
            "before anything reaches a third party; customer preferences; the privacy "
            "office's data-subject requests.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "headers": {
                "RetryAfter": {
                    "description": "seconds to wait before retrying",
                    "schema": {"type": "string"},
                }
            },
            "securitySchemes": {
                "writeKey": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "the source's write key as the username, empty password",
                },
                "adminToken": {"type": "http", "scheme": "bearer"},
                "subjectHeader": {"type": "apiKey", "in": "header", "name": "Gateway-Subject"},
                "subjectCookie": {"type": "apiKey", "in": "cookie", "name": "gw_sid"},
                "consoleSession": {"type": "apiKey", "in": "cookie", "name": "cg_console"},
            },
        },
    }
