"""/openapi.json (gateway/openapi.py): an OpenAPI 3.1 document naming exactly the routes the
app serves, and schemathesis against a live gateway with it: no 5xx, and every answer's
status, content type, headers and body match the document."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import route_list
from gateway.openapi import document
from tests.support.configs import APP_KEY, SERVER_KEY, write_config
from tests.support.processes import GatewayProcess

ADMIN = "openapi-admin-token-0001"
SCOPES = ["explain", "dsar:read", "dsar:write", "deadletter", "ledger:read", "reload",
          "config:read", "config:write", "debug:read"]  # fmt: skip
# Each operation gets this many generated cases: enough to reach every documented status,
# short enough for CI (the whole file runs in well under a minute on 2 cores).
EXAMPLES = 12


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    directory = tmp_path_factory.mktemp("openapi")
    file_destination = {
        "name": "events",
        "type": "file",
        "path": str(directory / "events.jsonl"),
        "country": "JP",
        "purposes": ["analytics"],
        "fields": ["type", "event", "properties.**"],
    }
    admin = {"tokens": [{"name": "ops", "sha256": hashlib.sha256(ADMIN.encode()).hexdigest(),
                         "scopes": SCOPES}]}  # fmt: skip
    write_config(
        directory,
        destinations=[file_destination],
        gateway={"admin": admin, "demo": {"enabled": True}},
    )
    process = GatewayProcess(directory).start()
    try:
        yield process
    finally:
        process.stop()


async def no_reload() -> dict[str, Any]:
    return {}


def test_the_document_names_exactly_the_routes_the_app_serves() -> None:
    served = {
        (route.path, method.lower())
        for route in route_list(no_reload)
        for method in (getattr(route, "methods", None) or [])
        if method != "HEAD"
    }
    documented = {
        (path, method) for path, item in document("0").get("paths", {}).items() for method in item
    }
    assert documented == served


def test_the_server_serves_the_document(gateway: GatewayProcess) -> None:
    answer = httpx.get(gateway.url + "/openapi.json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["openapi"] == "3.1.0"
    assert body == document(body["info"]["version"])


def schemathesis(url: str, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The schemathesis CLI, run in `workdir` (it keeps a cache in its working directory)."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_headers_conformance,response_schema_conformance",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "14",
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--suppress-health-check",
        "all",
        "--no-shrink",
        *args,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=env, cwd=workdir
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("operations", "credentials"),
    [
        ("^/v1/(track|batch|b)$", ["--auth", f"{SERVER_KEY}:"]),
        (
            "^/(admin/|v1/consent|privacy/|demo|sdk/|v1/projects|healthz|readyz|metrics|openapi)",
            ["-H", f"Authorization: Bearer {ADMIN}"],
        ),
    ],
    ids=["ingest", "the rest"],
)
def test_schemathesis_finds_nothing(
    gateway: GatewayProcess, operations: str, credentials: list[str], tmp_path: Path
) -> None:
    # A device's subject token, so /v1/consent is exercised past its 401.
    event = {"type": "track", "event": "Opened", "anonymousId": "openapi-device"}
    answer = httpx.post(gateway.url + "/v1/track", json=event, auth=(APP_KEY, ""))
    subject = ["-H", f"Gateway-Subject: {answer.headers['gateway-subject']}"]
    result = schemathesis(
        gateway.url, tmp_path, "--include-path-regex", operations, *credentials, *subject
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
