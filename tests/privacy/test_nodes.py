"""Two gateway nodes sharing Redis: a choice saved through one node holds for the very next
event on the other; a form token is single-use across nodes; a data-subject request made
on one node is enforced by the other."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.privacy.stack import KEY_ENV, KEY_VALUE, Stack, new_id, write_privacy_config
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

pytestmark = pytest.mark.redis


@pytest.fixture
def nodes(
    tmp_path: Path,
    redis_url: str,
    receiver_factory: Callable[[], Receiver],
) -> Iterator[tuple[Stack, Stack]]:
    receivers = {name: receiver_factory() for name in ("stats", "stats2", "ads")}
    config_dir = write_privacy_config(tmp_path / "config", receivers)
    settings = yaml.safe_load((config_dir / "gateway.yaml").read_text())
    settings["storage"] = {"backend": "redis", "url": redis_url}
    (config_dir / "gateway.yaml").write_text(yaml.safe_dump(settings))
    processes = [GatewayProcess(config_dir, env={KEY_ENV: KEY_VALUE}) for _ in range(2)]
    stacks = [Stack(process, receivers, config_dir) for process in processes]
    try:
        for process in processes:  # both boot at once
            process.start(wait=False)
        for process in processes:
            process.wait_ready()
        yield stacks[0], stacks[1]
    finally:
        for stack in stacks:
            stack.http.close()
            stack.gateway.stop()


def test_a_choice_saved_on_one_node_holds_on_the_other(nodes: tuple[Stack, Stack]) -> None:
    one, two = nodes
    anonymous_id = new_id("anon")
    token = one.token_for(anonymous_id)
    one.settle()
    assert two.consent(token, {"purposes": {"advertising": False}}).status_code == 200
    message_id, _ = one.send(anonymous_id)
    one.settle()
    assert one.reached(message_id) == {"stats", "stats2"}
    assert one.consent(token).json()["purposes"]["advertising"] is False

    page = one.http.get(one.url + "/privacy/preferences", headers={"cookie": f"gw_sid={token}"})
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "purpose.analytics": "off"}
    headers = {"cookie": f"gw_sid={token}"}
    assert two.http.post(two.url + "/privacy/preferences", data=form, headers=headers).is_success
    replayed = one.http.post(one.url + "/privacy/preferences", data=form, headers=headers)
    assert replayed.status_code == 403

    assert two.admin("suspend-provision", anonymous_id).status_code == 200
    suspended, response = one.send(anonymous_id)
    assert response.status_code == 200
    one.settle()
    assert one.reached(suspended) == set()
