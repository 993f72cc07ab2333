"""When the store cannot be reached (Redis gone), preferences are neither shown nor saved by
guess: every customer path answers 503 with Retry-After, the pages in the visitor's language."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.configs import APP_KEY
from tests.support.processes import GatewayProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, so it can be killed."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def test_customer_paths_answer_503_while_the_store_is_down(
    own_redis: RedisServer,
    config_factory: Callable[..., Path],
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    config_dir = config_factory()
    settings = yaml.safe_load((config_dir / "gateway.yaml").read_text())
    settings["storage"] = {"backend": "redis", "url": own_redis.url}
    settings["secrets"] = {"key_env": "GW_OUTAGE_TEST_KEY"}
    (config_dir / "gateway.yaml").write_text(yaml.safe_dump(settings))
    gateway = gateway_factory(
        config_dir, env={"GW_OUTAGE_TEST_KEY": "outage-test-key-0123456789-0123456789"}
    )
    accepted = httpx.post(
        gateway.url + "/v1/track",
        json={"type": "track", "event": "Viewed", "anonymousId": "outage"},
        auth=(APP_KEY, ""),
    )
    token = accepted.headers["gateway-subject"]
    cookie = {"cookie": f"gw_sid={token}", "accept-language": "en"}
    page = httpx.get(gateway.url + "/privacy/preferences", headers=cookie)
    assert page.status_code == 200
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]

    own_redis.kill()
    answers = {
        "GET /v1/consent": httpx.get(
            gateway.url + "/v1/consent", headers={"gateway-subject": token}
        ),
        "PUT /v1/consent": httpx.put(
            gateway.url + "/v1/consent",
            json={"purposes": {"advertising": False}},
            headers={"gateway-subject": token},
        ),
        "GET page": httpx.get(gateway.url + "/privacy/preferences", headers=cookie),
        "POST form": httpx.post(
            gateway.url + "/privacy/preferences",
            data={"csrf_token": csrf, "purpose.advertising": "off", "lang": "ja"},
            headers=cookie,
        ),
    }
    assert {path: a.status_code for path, a in answers.items()} == dict.fromkeys(answers, 503)
    assert {a.headers.get("retry-after") for a in answers.values()} == {"2"}
    assert "cannot be shown or saved right now" in answers["GET page"].text
    assert '<html lang="ja">' in answers["POST form"].text
    assert 'role="status"' in answers["POST form"].text
    assert "Traceback" not in gateway.log()
