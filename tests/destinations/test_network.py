"""allow_private_network: false refuses loopback, private, link-local and metadata addresses
at config time (address_problem) and again at connect time (GuardedBackend), where a
public-looking name that resolves to an internal address (DNS rebinding) is caught."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from gateway.config.addresses import address_problem, classify_address
from gateway.destinations import network
from gateway.destinations.network import build_client
from gateway.errors import FatalDelivery
from tests.support.receiver import Receiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
async def guarded() -> AsyncIterator[httpx.AsyncClient]:
    client = build_client(guarded=True, timeout=1.0, max_connections=4)
    yield client
    await client.aclose()


def resolving_to(*addresses: str) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.5.5.5", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("0.0.0.0", "private or reserved"),
        ("224.0.0.1", "private or reserved"),
        ("240.0.0.1", "private or reserved"),
    ],
)
def test_internal_addresses_are_classified(address: str, kind: str) -> None:
    problem = classify_address(address)
    assert problem is not None and kind in problem


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert classify_address(address) is None


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST.", "api.localhost", "metadata.google.internal", "[::1]", "10.0.0.1"],
)
def test_config_time_check_of_hosts(host: str) -> None:
    assert address_problem(host) is not None


def test_names_are_left_to_the_connect_time_check() -> None:
    assert address_problem("collector.example.net") is None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
async def test_the_guarded_client_refuses_loopback_hosts(
    receiver: Receiver, guarded: httpx.AsyncClient, host: str
) -> None:
    before = len(receiver.requests)
    with pytest.raises(FatalDelivery, match="refused to connect"):
        await guarded.post(f"http://{host}:{receiver.port}/hook", content=b"{}")
    assert len(receiver.requests) == before


@pytest.mark.parametrize(
    "addresses", [("127.0.0.1",), ("93.184.215.14", "10.0.0.7"), ("169.254.169.254",)]
)
async def test_a_public_name_resolving_to_an_internal_address_is_refused(
    receiver: Receiver,
    guarded: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    addresses: tuple[str, ...],
) -> None:
    monkeypatch.setattr(network, "_resolve", resolving_to(*addresses))
    before = len(receiver.requests)
    with pytest.raises(FatalDelivery, match="resolves to"):
        await guarded.post(f"http://collector.example.net:{receiver.port}/hook", content=b"{}")
    assert len(receiver.requests) == before


async def test_the_guarded_client_connects_to_the_vetted_address(
    receiver: Receiver, guarded: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the address check satisfied, the connection goes to the address that was
    checked (not a second lookup), and the request still names the host."""
    monkeypatch.setattr(network, "_resolve", resolving_to("127.0.0.1"))
    monkeypatch.setattr(network, "classify_address", lambda address: None)
    before = len(receiver.requests)
    response = await guarded.post(
        f"http://collector.example.net:{receiver.port}/hook", content=b"{}"
    )
    assert response.status_code == 200
    assert receiver.requests[before].headers["host"] == f"collector.example.net:{receiver.port}"


async def test_an_unresolvable_name_is_a_retryable_connect_error(
    guarded: httpx.AsyncClient,
) -> None:
    with pytest.raises(httpx.ConnectError):
        await guarded.post("http://no-such-host.invalid/hook", content=b"{}")


async def test_the_unguarded_client_reaches_loopback(receiver: Receiver) -> None:
    client = build_client(guarded=False, timeout=1.0, max_connections=1)
    try:
        response = await client.post(f"http://localhost:{receiver.port}/hook", content=b"{}")
    finally:
        await client.aclose()
    assert response.status_code == 200


async def test_every_vetted_address_is_tried_in_order(
    receiver: Receiver, guarded: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver listens on 127.0.0.1 only: ::1 is refused (or absent), then the IPv4
    address connects, as happy-eyeballs clients do."""
    monkeypatch.setattr(network, "_resolve", resolving_to("::1", "127.0.0.1"))
    monkeypatch.setattr(network, "classify_address", lambda address: None)
    response = await guarded.post(
        f"http://collector.example.net:{receiver.port}/hook", content=b"{}"
    )
    assert response.status_code == 200


async def test_no_reachable_address_is_a_connect_error(
    guarded: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network, "_resolve", resolving_to("127.0.0.1"))
    monkeypatch.setattr(network, "classify_address", lambda address: None)
    with pytest.raises(httpx.ConnectError):
        await guarded.post("http://collector.example.net:9/hook", content=b"{}")
