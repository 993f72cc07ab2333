"""Who is calling: write keys, CORS headers, and the client address behind trusted proxies."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from starlette.datastructures import Headers

from gateway.app import create_app
from gateway.config.schema import SourceConfig, TrustedProxies
from gateway.errors import Refused
from gateway.ingest.access import REMEMBERED_HEADERS, Sources, basic_username
from gateway.web.client import ClientAddress, cors_headers, preflight_headers
from gateway.web.responses import status_of
from tests.ingest.helpers import (
    APP_KEY,
    SERVER_KEY,
    WEB_KEY,
    WEB_ORIGIN,
    OutboxReader,
    TestClient,
    basic,
    delivered,
    event,
    ingest_settings,
    json_body,
)
from tests.support.processes import GatewayProcess
from tests.support.receiver import Receiver

WEB = SourceConfig(id="web", write_key=WEB_KEY, kind="web", allowed_origins=[WEB_ORIGIN])
SERVER = SourceConfig(id="server", write_key=SERVER_KEY, kind="server")


def refused(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(Refused) as caught:
        call()
    return status_of(caught.value), caught.value.message


# ----------------------------------------------------------------------- write keys
def test_basic_username_is_the_write_key() -> None:
    encoded = base64.b64encode(f"{WEB_KEY}:".encode()).decode()
    assert basic_username(f"Basic {encoded}") == WEB_KEY
    assert basic_username(f"basic  {encoded} ") == WEB_KEY
    assert basic_username("Bearer abc") is None
    assert basic_username("Basic " + base64.b64encode(b":only-a-password").decode()) is None
    assert refused(lambda: basic_username("Basic %%%")) == (
        401,
        "malformed Basic authorization header",
    )
    not_utf8 = base64.b64encode(b"\xff\xfe:").decode()
    assert refused(lambda: basic_username(f"Basic {not_utf8}"))[0] == 401


def test_authenticate_prefers_the_header_then_the_body() -> None:
    sources = Sources([WEB, SERVER])
    assert sources.authenticate(basic(WEB_KEY)["authorization"], SERVER_KEY) is WEB
    assert sources.authenticate(None, SERVER_KEY) is SERVER
    assert sources.authenticate("Bearer x", SERVER_KEY) is SERVER
    assert refused(lambda: sources.authenticate(None, None))[0] == 401
    assert refused(lambda: sources.authenticate(None, 12345)) == (
        401,
        "missing write key: use HTTP Basic auth or writeKey in the body",
    )
    assert refused(lambda: sources.authenticate(None, WEB_KEY.upper())) == (
        401,
        "unknown write key",
    )


def test_a_remembered_header_answers_as_the_first_time_and_the_memory_is_bounded() -> None:
    sources = Sources([WEB, SERVER])
    header = basic(WEB_KEY)["authorization"]
    for _ in range(3):  # the first decodes, the others are remembered
        assert sources.authenticate(header, SERVER_KEY) is WEB
        assert sources.authenticate(header, None) is WEB
    assert sources.authenticate("Bearer x", SERVER_KEY) is SERVER
    assert sources.authenticate("Bearer x", WEB_KEY) is WEB  # a body key is never remembered
    unknown = basic("no-such-key")["authorization"]
    for _ in range(2):
        assert refused(lambda: sources.authenticate(unknown, None)) == (401, "unknown write key")
    for n in range(REMEMBERED_HEADERS * 3):  # a public key with ever new passwords
        varied = "Basic " + base64.b64encode(f"{WEB_KEY}:{n}".encode()).decode()
        assert sources.authenticate(varied, None) is WEB
    assert len(sources._by_header) <= REMEMBERED_HEADERS


def test_only_web_sources_accept_a_browser_origin() -> None:
    sources = Sources([WEB, SERVER])
    own = "https://gateway.example.com"
    sources.check_origin(WEB, WEB_ORIGIN, own)
    sources.check_origin(WEB, None, own)
    sources.check_origin(SERVER, None, own)
    assert refused(lambda: sources.check_origin(WEB, "https://evil.example", own)) == (
        403,
        "origin not allowed for this write key",
    )
    assert refused(lambda: sources.check_origin(SERVER, WEB_ORIGIN, own))[0] == 403


def test_cors_headers_grant_exact_origins_only() -> None:
    allowed = Sources([WEB, SERVER]).origins
    granted = cors_headers(WEB_ORIGIN, allowed)
    assert granted["vary"] == "Origin"
    assert granted["access-control-allow-origin"] == WEB_ORIGIN
    assert granted["access-control-allow-credentials"] == "true"
    assert "gateway-subject" in granted["access-control-expose-headers"]
    for other in (None, "", WEB_ORIGIN + "/", WEB_ORIGIN.upper(), "*"):
        assert cors_headers(other, allowed) == {"vary": "Origin"}
    assert "access-control-allow-methods" in preflight_headers(WEB_ORIGIN, allowed)
    assert preflight_headers("https://evil.example", allowed) == {"vary": "Origin"}


# ------------------------------------------------------------------ client address
PROXIES = TrustedProxies(networks=["127.0.0.1/32", "10.0.0.0/8"])


def resolve(peer: str, *lines: tuple[str, str], proxies: TrustedProxies = PROXIES) -> str | None:
    return ClientAddress(proxies).resolve(
        peer, Headers(raw=[(k.encode(), v.encode()) for k, v in lines])
    )


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),
        ("127.0.0.1", "203.0.113.7, 10.1.1.1", "203.0.113.7"),  # skips trusted hops
        ("127.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # nearest untrusted wins
        ("127.0.0.1", "10.0.0.2, 10.0.0.3", "10.0.0.2"),  # all trusted: the first
        ("127.0.0.1", "2001:db8::5", "2001:db8::5"),
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("198.51.100.9", "203.0.113.7", "198.51.100.9"),  # an untrusted peer cannot forward
        ("::1", "203.0.113.7", "::1"),
        ("::ffff:10.2.3.4", "203.0.113.7", "203.0.113.7"),  # IPv4 peer on a dual-stack socket
        ("127.0.0.1", "203.0.113.7, ::ffff:10.9.9.9", "203.0.113.7"),
    ],
)
def test_forwarded_header_counts_only_from_a_trusted_proxy(
    peer: str, forwarded: str | None, expected: str
) -> None:
    lines = [("x-forwarded-for", forwarded)] if forwarded is not None else []
    assert resolve(peer, *lines) == expected


def test_every_line_of_the_forwarded_header_counts() -> None:
    """HAProxy adds its own X-Forwarded-For line after the client's: reading only the
    first line would hand the address to whoever sent a forged one."""
    forged, real = ("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "203.0.113.9")
    assert resolve("127.0.0.1", forged, real) == "203.0.113.9"
    assert resolve("127.0.0.1", forged, ("x-forwarded-for", "203.0.113.9, 10.0.0.1")) == (
        "203.0.113.9"
    )


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    lines = ("x-forwarded-for", "1.2.3.4")
    assert resolve("127.0.0.1", lines, proxies=TrustedProxies()) == "127.0.0.1"


def test_the_forwarded_header_name_is_configurable() -> None:
    proxies = TrustedProxies(networks=["127.0.0.1/32"], header="X-Real-IP")
    lines = [("x-real-ip", "203.0.113.8"), ("x-forwarded-for", "1.2.3.4")]
    assert resolve("127.0.0.1", *lines, proxies=proxies) == "203.0.113.8"


# ---------------------------------------------- end to end: what a destination gets
Header = tuple[str, str]


def posted(client: httpx.Client, key: str, *extra: Header) -> str:
    """Posts one event with `extra` header lines; returns its mark."""
    mark = uuid.uuid4().hex
    headers = [("content-type", "application/json"), *basic(key).items(), *extra]
    response = client.post(
        "/v1/track", content=json_body(event(properties={"mark": mark})), headers=headers
    )
    assert response.status_code == 200
    return mark


@pytest.mark.parametrize("trusted", [True, False])
def test_in_process_client_ip_with_and_without_a_trusted_proxy(
    config_factory: Callable[..., Path], trusted: bool
) -> None:
    proxies = {"networks": ["127.0.0.1/32"]} if trusted else {}
    directory = config_factory(
        **ingest_settings("https://hooks.example.net/in", trusted_proxies=proxies)
    )
    app = create_app(directory, run_worker=False)
    forwarded = ("x-forwarded-for", "203.0.113.50")
    with TestClient(app, client=("127.0.0.1", 41000)) as client:
        outbox = OutboxReader(client, app)

        def ip(mark: str) -> object:
            return outbox.find("mark", mark).get("context", {}).get("ip")

        assert ip(posted(client, WEB_KEY, forwarded)) == (
            "203.0.113.50" if trusted else "127.0.0.1"
        )
        assert ip(posted(client, WEB_KEY, ("x-forwarded-for", "6.6.6.6"), forwarded)) == (
            "203.0.113.50" if trusted else "127.0.0.1"
        )
        assert ip(posted(client, APP_KEY)) == "127.0.0.1"
        assert ip(posted(client, SERVER_KEY, forwarded)) is None


def test_real_server_behind_a_trusted_proxy(
    config_factory: Callable[..., Path],
    receiver: Receiver,
    gateway_factory: Callable[..., GatewayProcess],
) -> None:
    directory = config_factory(
        **ingest_settings(receiver.url, trusted_proxies={"networks": ["127.0.0.1/32"]})
    )
    gateway = gateway_factory(directory)

    def ip(mark: str) -> object:
        return delivered(receiver, mark)[0].get("context", {}).get("ip")

    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        assert ip(posted(client, WEB_KEY, ("x-forwarded-for", "203.0.113.51"))) == "203.0.113.51"
        spoofed = ("x-forwarded-for", "203.0.113.52, 198.51.100.99")
        assert ip(posted(client, APP_KEY, spoofed)) == "198.51.100.99"
        two_lines = [("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "203.0.113.53")]
        assert ip(posted(client, WEB_KEY, *two_lines)) == "203.0.113.53"
        assert ip(posted(client, WEB_KEY)) == "127.0.0.1"
        assert ip(posted(client, SERVER_KEY, ("x-forwarded-for", "8.8.8.8"))) is None


@pytest.mark.parametrize(
    ("peer", "proto", "expected"),
    [
        ("127.0.0.1", "https", "https"),  # a trusted TLS-terminating proxy
        ("127.0.0.1", "HTTPS, http", "https"),
        ("127.0.0.1", "gopher", "http"),
        ("198.51.100.9", "https", "http"),  # anyone else cannot claim it
    ],
)
def test_the_scheme_comes_from_a_trusted_proxy_only(peer: str, proto: str, expected: str) -> None:
    client = ClientAddress(TrustedProxies(networks=["127.0.0.1/32"]))
    headers = Headers(raw=[(b"x-forwarded-proto", proto.encode())])
    assert client.scheme(peer, headers, "http") == expected


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [("203.0.113.5:4711", "203.0.113.5"), ("[2001:db8::5]:4711", "2001:db8::5")],
)
def test_a_forwarded_address_with_a_port_is_the_address(forwarded: str, expected: str) -> None:
    assert resolve("127.0.0.1", ("x-forwarded-for", forwarded)) == expected


def test_ipv6_clients_share_a_rate_limit_bucket_per_64() -> None:
    from gateway.web.limits import bucket as _bucket

    assert _bucket("2001:db8:1:2:aaaa::1") == _bucket("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::"
    assert _bucket("2001:db8:1:3::1") != _bucket("2001:db8:1:2::1")
    assert _bucket("203.0.113.9") == "203.0.113.9"
