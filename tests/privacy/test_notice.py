"""The external-transmission notice is generated from the live config: every destination, in
Japanese and English HTML and in JSON, and it follows a reload (SIGHUP or POST /admin/reload)
but not a failed one."""

from __future__ import annotations

import hashlib
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.privacy.stack import FIELDS, POLICY_VERSION, Stack
from tests.support.configs import APP_KEY, webhook
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

NOTICE = "/privacy/external-transmission"
RELOADER = "reload-token-0001"
JA_WORDS = (
    "stats2", "Usage statistics", "日本", "アメリカ合衆国", "サービスの効果検証・改善",
    "商品・サービスの広告・ご案内", "広告識別子（IDFA・AAID）", "識別子（ユーザーID",
)  # fmt: skip
EN_WORDS = (
    "Japan", "United States", "Measuring and improving our services",
    "Advertising and information about products based on your browsing",
    "Advertising identifier (IDFA, AAID)",
)  # fmt: skip


def notice_json(url: str) -> dict[str, Any]:
    answer = httpx.get(url + NOTICE, headers={"accept": "application/json"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    document: dict[str, Any] = answer.json()
    return document


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in document["destinations"]}


def notice_html(url: str, accept_language: str) -> str:
    answer = httpx.get(
        url + NOTICE, headers={"accept": "text/html", "accept-language": accept_language}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert f'<html lang="{accept_language[:2]}">' in answer.text
    return answer.text


def test_the_notice_lists_every_configured_destination(stack: Stack) -> None:
    document = notice_json(stack.url)
    assert document["policy_version"] == POLICY_VERSION
    entries = by_name(document)
    assert set(entries) == {"stats", "stats2", "ads"}
    assert entries["stats"]["country"] == "JP"
    assert entries["ads"]["country"] == "US"
    assert entries["stats"]["purposes"] == ["analytics"]
    assert entries["ads"]["purposes"] == ["advertising"]
    assert entries["stats"]["categories"] == ["browsing_history", "identifiers"]
    assert entries["ads"]["categories"] == ["advertising_id", "browsing_history", "identifiers"]
    assert {e["opt_out"] for e in entries.values()} == {"/privacy/preferences"}

    ja = notice_html(stack.url, "ja")
    assert "<h1>外部サービスへの情報送信</h1>" in ja
    for text in JA_WORDS:
        assert text in ja
    assert 'href="/privacy/preferences?lang=ja"' in ja

    en = notice_html(stack.url, "en-GB,en;q=0.9")
    assert "<h1>Information sent to outside services</h1>" in en
    for name in ("stats", "stats2", "ads"):
        assert f'<th scope="row">{name}' in en
    for text in EN_WORDS:
        assert text in en


def write(config_dir: Path, name: str, data: Any) -> None:
    (config_dir / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def reloadable(
    config_factory: Callable[..., Path],
    receiver_factory: Callable[[], Receiver],
    gateway_factory: Callable[..., GatewayProcess],
) -> tuple[GatewayProcess, Receiver]:
    receiver = receiver_factory()
    token = {"name": "ops", "sha256": hashlib.sha256(RELOADER.encode()).hexdigest(),
             "scopes": ["reload"]}  # fmt: skip
    config_dir = config_factory(
        destinations=[
            webhook("stats", receiver.url, fields=FIELDS),
            webhook("ads", receiver.url, purposes=["advertising"], country="US", fields=FIELDS),
        ],
        gateway={"admin": {"tokens": [token]}},
    )
    return gateway_factory(config_dir), receiver


def reload_over_http(gateway: GatewayProcess) -> httpx.Response:
    return httpx.post(
        gateway.url + "/admin/reload", headers={"authorization": f"Bearer {RELOADER}"}
    )


def test_the_notice_follows_a_config_reload(reloadable: tuple[GatewayProcess, Receiver]) -> None:
    gateway, receiver = reloadable
    assert set(by_name(notice_json(gateway.url))) == {"stats", "ads"}
    config_dir = gateway.config_dir

    crm = webhook("crm", receiver.url, country="KR", fields=["userId", "context.traits.email"],
                  description="Customer support desk")  # fmt: skip
    write(config_dir, "destinations.yaml",
          {"destinations": [webhook("stats", receiver.url, fields=FIELDS), crm]})  # fmt: skip
    assert gateway.process is not None
    gateway.process.send_signal(signal.SIGHUP)
    until(lambda: set(by_name(notice_json(gateway.url))) == {"stats", "crm"})
    entries = by_name(notice_json(gateway.url))
    assert entries["crm"]["country"] == "KR"
    assert entries["crm"]["categories"] == ["identifiers", "profile"]
    ja = notice_html(gateway.url, "ja")
    assert "大韓民国" in ja and "Customer support desk" in ja
    assert '<th scope="row">ads' not in ja
    # The preference choices follow the same config.
    _, response = send(gateway)
    state = httpx.get(
        gateway.url + "/v1/consent",
        headers={"gateway-subject": response.headers["gateway-subject"]},
    ).json()
    assert set(state["vendors"]) == {"stats", "crm"}

    stats_in_australia = webhook("stats", receiver.url, country="AU", fields=FIELDS)
    write(config_dir, "destinations.yaml", {"destinations": [stats_in_australia]})
    write(config_dir, "policy.yaml", {"policy": {"version": "2026-09-01"}})
    answer = reload_over_http(gateway)
    assert answer.status_code == 200, answer.text
    assert answer.json()["reloaded"] is True
    document = notice_json(gateway.url)  # at once: the answer came after the swap
    assert document["policy_version"] == "2026-09-01"
    assert [(e["name"], e["country"]) for e in document["destinations"]] == [("stats", "AU")]
    assert "オーストラリア連邦" in notice_html(gateway.url, "ja")


def send(gateway: GatewayProcess) -> tuple[str, httpx.Response]:
    answer = httpx.post(
        gateway.url + "/v1/track",
        json={"type": "track", "event": "Viewed", "anonymousId": "reload-test"},
        auth=(APP_KEY, ""),
    )
    assert answer.status_code == 200
    return "reload-test", answer


def test_a_failed_reload_keeps_the_running_config_and_notice(
    reloadable: tuple[GatewayProcess, Receiver],
) -> None:
    gateway, receiver = reloadable
    before = notice_json(gateway.url)
    before_ja, before_en = notice_html(gateway.url, "ja"), notice_html(gateway.url, "en")
    config_dir = gateway.config_dir

    broken = webhook("ads", receiver.url, purposes=["advertising"], country="CN", fields=FIELDS)
    write(config_dir, "destinations.yaml", {"destinations": [broken]})
    answer = reload_over_http(gateway)
    assert answer.status_code == 400
    assert answer.json()["reloaded"] is False
    assert any("destinations.yaml" in p and "CN" in p for p in answer.json()["problems"])
    assert notice_json(gateway.url) == before

    (config_dir / "destinations.yaml").write_text("destinations: [ {name: half", encoding="utf-8")
    assert gateway.process is not None
    refusals = gateway.log().count("config reload refused")
    gateway.process.send_signal(signal.SIGHUP)
    until(lambda: gateway.log().count("config reload refused") > refusals)
    assert notice_json(gateway.url) == before
    assert without_nonces(notice_html(gateway.url, "ja")) == without_nonces(before_ja)
    assert without_nonces(notice_html(gateway.url, "en")) == without_nonces(before_en)

    # Still serving with the old config: both old destinations get the next event.
    send(gateway)
    assert len(receiver.wait_for(2)) == 2


def without_nonces(html: str) -> str:
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)


def test_every_worker_process_follows_a_reload(
    config_factory: Callable[..., Path],
    receiver_factory: Callable[[], Receiver],
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    """`serve --workers 2`: POST /admin/reload, answered by one worker, and SIGHUP to the
    parent reload every worker in place; a broken config is refused by each, none restarts."""
    receiver = receiver_factory()
    token = {"name": "ops", "sha256": hashlib.sha256(RELOADER.encode()).hexdigest(),
             "scopes": ["reload"]}  # fmt: skip
    stats = webhook("stats", receiver.url, fields=FIELDS)
    config_dir = config_factory(destinations=[stats], gateway={"admin": {"tokens": [token]}})
    gateway = gateway_factory(config_dir, args=("--workers", "2"))
    until(lambda: gateway.log().count("Application startup complete") == 2, timeout=30)

    def every_answer(names: set[str]) -> bool:  # a new connection each: both workers answer
        return all(set(by_name(notice_json(gateway.url))) == names for _ in range(40))

    crm = webhook("crm", receiver.url, country="KR", fields=["userId"])
    write(config_dir, "destinations.yaml", {"destinations": [stats, crm]})
    answer = reload_over_http(gateway)
    assert answer.status_code == 200, answer.text
    assert answer.json()["all_workers"] is True
    until(lambda: every_answer({"stats", "crm"}))

    write(config_dir, "destinations.yaml", {"destinations": [crm]})
    assert gateway.process is not None
    gateway.process.send_signal(signal.SIGHUP)
    until(lambda: every_answer({"crm"}))

    (config_dir / "destinations.yaml").write_text("destinations: [ {name: half", encoding="utf-8")
    refusals = gateway.log().count("config reload refused")
    gateway.process.send_signal(signal.SIGHUP)
    until(lambda: gateway.log().count("config reload refused") == refusals + 2)
    assert every_answer({"crm"})
    assert gateway.log().count("Application startup complete") == 2  # reloaded in place


def test_a_reload_asked_for_while_workers_start_ends_none_of_them(
    config_factory: Callable[..., Path], gateway_factory: Callable[..., GatewayProcess]
) -> None:
    """Regression from review: SIGHUP's default action ended a worker that had not yet
    installed its handler, so a reload during startup left no worker serving."""
    config_dir = config_factory()
    gateway = GatewayProcess(config_dir, args=("--workers", "2")).start(wait=False)
    try:
        until(lambda: "Started parent process" in gateway.log(), timeout=20)
        assert gateway.process is not None
        gateway.process.send_signal(signal.SIGHUP)
        gateway.wait_ready(timeout=30)
        until(lambda: gateway.log().count("Application startup complete") == 2, timeout=30)
        # The parent passes the owed SIGHUP on once each worker is ready (it may have read
        # the files before they changed).
        until(lambda: gateway.log().count("config reloaded") == 2, timeout=10)
        assert "died" not in gateway.log()
        assert gateway.log().count("Application startup complete") == 2
        assert httpx.get(gateway.url + "/healthz").status_code == 200
    finally:
        gateway.stop()
