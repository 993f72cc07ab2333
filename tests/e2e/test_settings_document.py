"""The settings document Segment's SDKs fetch (analytics-next from `{cdnURL}/v1/projects/<key>/
settings`, analytics-swift/-kotlin from `https://{cdnHost}/projects/<key>/settings`), served by
a real gateway so that pointing an SDK's hosts at the gateway is all it takes."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.stack import Stack
from tests.support.configs import APP_KEY, SERVER_KEY, WEB_KEY


@pytest.mark.parametrize("key", [WEB_KEY, APP_KEY, SERVER_KEY])
def test_each_source_gets_settings_naming_the_gateway_as_its_api_host(
    stack: Stack, key: str
) -> None:
    response = httpx.get(f"{stack.url}/v1/projects/{key}/settings")

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    assert body["integrations"] == {"Segment.io": {"apiKey": key, "apiHost": stack.host + "/v1"}}
    assert body["metrics"] == {"sampleRate": 0}  # no client telemetry to Segment


def test_an_unknown_write_key_gets_no_settings(stack: Stack) -> None:
    response = httpx.get(f"{stack.url}/v1/projects/not-a-configured-key/settings")

    assert response.status_code == 404
    assert "not-a-configured-key" not in response.text
