"""Cross-file and environment checks (gateway.config.validation), through read_config: each
broken config asserts its exact sentence `FILE: component "name": sentence`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.destinations.registry import read_config
from gateway.errors import ConfigError
from tests.support.configs import webhook

HOOK = "https://hooks.example.com/in"
PRIVATE_HINT = "; set allow_private_network: true to allow it (for loopback or test receivers only)"
EVENT_FIELDS = (
    "anonymousId, category, channel, context, event, groupId, integrations, messageId, name, "
    "originalTimestamp, previousId, properties, receivedAt, sentAt, timestamp, traits, type, "
    "userId, version"
)


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        read_config(directory)
    return caught.value.problems


def source(source_id: str, key: str, kind: str = "server", **extra: Any) -> dict[str, Any]:
    return {"id": source_id, "write_key": key, "kind": kind, **extra}


def public(name: str = "ads", **extra: Any) -> dict[str, Any]:
    """A webhook to a public host, with the private-network escape hatch off."""
    return webhook(name, HOOK, allow_private_network=False, **extra)


# -------------------------------------------------------------------- table of cases
CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "duplicate-write-key": (
        {"sources": [source("a", "shared-key-1"), source("b", "shared-key-1")]},
        ['sources.yaml: source "b": write key is already used by source "a"'],
    ),
    "duplicate-source-id": (
        {"sources": [source("a", "key-number-1"), source("a", "key-number-2")]},
        ['sources.yaml: source "a": id is already used by another source'],
    ),
    "duplicate-destination-name": (
        {"destinations": [public("ads"), public("ads", country="US")]},
        ['destinations.yaml: destination "ads": name is already used by another destination'],
    ),
    "country-not-allowed": (
        {"destinations": [public("ads", country="CN")]},
        [
            'destinations.yaml: destination "ads": country "CN" is not an allowed transfer '
            "country (allowed: PH, AU, CA, US, KR, TW)"
        ],
    ),
    "country-allowed-by-own-policy-only": (
        {
            "destinations": [public("ads", country="US")],
            "policy": {"transfers": {"home_country": "JP", "allowed_countries": ["SG"]}},
        },
        [
            'destinations.yaml: destination "ads": country "US" is not an allowed transfer '
            "country (allowed: SG)"
        ],
    ),
    "purpose-not-declared": (
        {"destinations": [public("ads", purposes=["analytics", "marketing"])]},
        [
            'destinations.yaml: destination "ads": purpose "marketing" is not declared in policy '
            "(declared: service, analytics, advertising)"
        ],
    ),
    "purpose-named-after-a-category-no-source-allows": (
        {"destinations": [public("ads", purposes=["location"])]},
        [
            'destinations.yaml: destination "ads": purpose "location" is not declared in policy '
            "(declared: service, analytics, advertising)"
        ],
    ),
    "secret-env-missing": (
        {"destinations": [public("ads", secret_env="CG_TEST_UNSET_SECRET")]},
        [
            'destinations.yaml: destination "ads": secret_env "CG_TEST_UNSET_SECRET" is not set '
            "in the environment"
        ],
    ),
    "transform-on-a-path-not-in-fields": (
        {"destinations": [public("ads", transforms={"traits.email": "sha256"})]},
        [
            'destinations.yaml: destination "ads": transform path "traits.email" is not among '
            "the fields this destination receives"
        ],
    ),
    "transform-with-wildcard": (
        {"destinations": [public("ads", transforms={"properties.*": "sha256"})]},
        [
            'destinations.yaml: destination "ads": transform path "properties.*" must be a plain '
            "dotted path without wildcards"
        ],
    ),
    "key-env-not-set": (
        {"gateway": {"secrets": {"key_env": "CG_TEST_UNSET_KEY"}}},
        ['gateway.yaml: secrets: key_env "CG_TEST_UNSET_KEY" is not set in the environment'],
    ),
    "geo-database-missing": (
        {"gateway": {"geo": {"database": "/nonexistent/GeoLite2-City.mmdb"}}},
        ['gateway.yaml: geo: database "/nonexistent/GeoLite2-City.mmdb" does not exist'],
    ),
    "allow-categories-not-a-category": (
        {"sources": [source("app", "app-key-0001", "ios", allow_categories=["gps"])]},
        [
            'sources.yaml: source "app": allow_categories entry "gps" is not a forbidden '
            "category (categories: contacts, location, media, message_content)"
        ],
    ),
    "origins-on-a-server-source": (
        {"sources": [source("srv", "srv-key-0001", allowed_origins=["https://a.example"])]},
        [
            'sources.yaml: source "srv": allowed_origins only applies to web sources '
            "(kind is server)"
        ],
    ),
    "jurisdiction-opt-in-undeclared": (
        {"policy": {"jurisdictions": [{"name": "ca", "countries": ["US"], "opt_in": ["sales"]}]}},
        ['policy.yaml: jurisdiction "ca": opt_in purpose "sales" is not declared in policy'],
    ),
    "home-country-also-allowed": (
        {"policy": {"transfers": {"home_country": "JP", "allowed_countries": ["JP", "US"]}}},
        ["policy.yaml: policy: transfers.allowed_countries lists the home country"],
    ),
    "unknown-country-rule": (
        {"policy": {"unknown_country": "eu"}},
        ['policy.yaml: policy: unknown_country "eu" must be "home" or a jurisdiction name'],
    ),
    "admin-token-twice": (
        {
            "gateway": {
                "admin": {
                    "tokens": [
                        {"name": "ops", "sha256": "a" * 64, "scopes": ["explain"]},
                        {"name": "ops", "sha256": "b" * 64, "scopes": ["ledger:read"]},
                    ]
                }
            }
        },
        ['gateway.yaml: admin: token name "ops" is used twice'],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_cross_file_problem_is_reported_in_its_exact_sentence(
    config_factory: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv("CG_TEST_UNSET_SECRET", raising=False)
    monkeypatch.delenv("CG_TEST_UNSET_KEY", raising=False)
    settings, expected = CASES[name]
    assert problems_of(config_factory(**settings)) == expected


def test_redis_storage_replaces_the_sqlite_path(tmp_path: Path) -> None:
    # write_config merges storage settings, so this case writes gateway.yaml itself.
    (tmp_path / "gateway.yaml").write_text(
        "storage: {backend: redis, url: 'redis://127.0.0.1:6379/0'}\n", encoding="utf-8"
    )
    assert problems_of(tmp_path) == [
        "gateway.yaml: secrets: key_env is required with the redis backend (every node must "
        "share the gateway key)"
    ]


def test_a_redis_cluster_has_only_database_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CG_TEST_CLUSTER_KEY", "k" * 32)
    (tmp_path / "gateway.yaml").write_text(
        "storage: {backend: redis, url: 'redis://127.0.0.1:7000/2', cluster: true}\n"
        "secrets: {key_env: CG_TEST_CLUSTER_KEY}\n",
        encoding="utf-8",
    )
    assert problems_of(tmp_path) == [
        'gateway.yaml: storage: url selects database "2", but Redis Cluster has only database 0'
    ]


SENTINEL = "{master_name: gw, nodes: ['127.0.0.1:26379']}"
SENTINEL_CASES = {
    "{backend: redis}": [
        "gateway.yaml: storage: the redis backend needs url or sentinel (one of them)"
    ],
    f"{{backend: redis, url: 'redis://127.0.0.1:6379/0', sentinel: {SENTINEL}}}": [
        "gateway.yaml: storage: url and sentinel are alternatives; give one (with sentinel, "
        "the sentinels name the master)"
    ],
    f"{{backend: redis, sentinel: {SENTINEL}, cluster: true}}": [
        "gateway.yaml: storage: sentinel and cluster: true cannot be combined (Redis Cluster "
        "promotes its replicas itself; give a node's url)"
    ],
    "{backend: redis, sentinel: {master_name: gw, nodes: ['127.0.0.1:26379'], "
    "password_env: CG_TEST_UNSET_PASSWORD}}": [
        'gateway.yaml: storage: sentinel.password_env "CG_TEST_UNSET_PASSWORD" is not set in '
        "the environment"
    ],
}


@pytest.mark.parametrize("storage", SENTINEL_CASES)
def test_redis_storage_names_one_way_to_its_master(
    storage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CG_TEST_SENTINEL_KEY", "k" * 32)
    monkeypatch.delenv("CG_TEST_UNSET_PASSWORD", raising=False)
    (tmp_path / "gateway.yaml").write_text(
        f"storage: {storage}\nsecrets: {{key_env: CG_TEST_SENTINEL_KEY}}\n", encoding="utf-8"
    )
    assert problems_of(tmp_path) == SENTINEL_CASES[storage]


def test_a_sentinel_config_with_min_replicas_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CG_TEST_SENTINEL_KEY", "k" * 32)
    (tmp_path / "gateway.yaml").write_text(
        f"storage: {{backend: redis, sentinel: {SENTINEL}, min_replicas: 1, "
        "replica_timeout_ms: 200}\nsecrets: {key_env: CG_TEST_SENTINEL_KEY}\n",
        encoding="utf-8",
    )
    storage = read_config(tmp_path).gateway.storage
    assert storage.backend == "redis" and storage.sentinel is not None
    assert storage.sentinel.addresses() == [("127.0.0.1", 26379)]
    assert (storage.min_replicas, storage.replica_timeout_ms) == (1, 200)


# ------------------------------------------------------------ fields patterns
UNMATCHABLE = {
    "foo.bar": f'"foo" is not a top-level event field (fields: {EVENT_FIELDS})',
    "Properties.plan": f'"Properties" is not a top-level event field (fields: {EVENT_FIELDS})',
    "event.name": '"event" is a single value, nothing is under it',
    "userId.*": '"userId" is a single value, nothing is under it',
    "timestamp.**": '"timestamp" is a single value, nothing is under it',
    "properties.plan*": 'it has segment "plan*": a wildcard must be a whole segment (* or **)',
    "context.*os": 'it has segment "*os": a wildcard must be a whole segment (* or **)',
    "properties..plan": "it has an empty segment (two dots, or a leading/trailing dot)",
    "properties.": "it has an empty segment (two dots, or a leading/trailing dot)",
    ".properties": "it has an empty segment (two dots, or a leading/trailing dot)",
    " event": "it is empty or has surrounding spaces",
    "": "it is empty or has surrounding spaces",
    "context.location": (
        "context.location is always removed by the policy (forbidden category location, "
        "allowed by no source)"
    ),
    "context.location.*": (
        "context.location is always removed by the policy (forbidden category location, "
        "allowed by no source)"
    ),
    "context.location.latitude": (
        "context.location is always removed by the policy (forbidden category location, "
        "allowed by no source)"
    ),
}


@pytest.mark.parametrize("pattern", list(UNMATCHABLE))
def test_fields_pattern_that_cannot_match_is_an_error(
    config_factory: Callable[..., Path], pattern: str
) -> None:
    directory = config_factory(destinations=[public("ads", fields=["event", pattern])])
    assert problems_of(directory) == [
        f'destinations.yaml: destination "ads": fields pattern "{pattern}" cannot match '
        f"anything: {UNMATCHABLE[pattern]}"
    ]


@pytest.mark.parametrize(
    "pattern", ["*", "**", "context.*", "properties.**", "*.email", "**.id", "context.os.*"]
)
def test_fields_patterns_that_can_match_pass(
    config_factory: Callable[..., Path], pattern: str
) -> None:
    read_config(config_factory(destinations=[public("ads", fields=[pattern])]))


def test_location_fields_pass_when_a_source_allows_the_category(
    config_factory: Callable[..., Path],
) -> None:
    config = read_config(
        config_factory(
            sources=[source("maps", "maps-key-0001", "ios", allow_categories=["location"])],
            destinations=[public("maps", purposes=["location"], fields=["context.location.*"])],
        )
    )
    assert config.destinations[0].fields == ["context.location.*"]


def test_transforms_on_received_paths_pass(config_factory: Callable[..., Path]) -> None:
    destination = public(
        "ads",
        fields=["traits.email", "context.ip", "properties.**"],
        transforms={
            "traits.email": "sha256",
            "context.ip": "truncate_ip",
            "properties.order.coupon": "drop",
            "properties.total": {"rename": "value"},
        },
    )
    config = read_config(config_factory(destinations=[destination]))
    assert set(config.destinations[0].transforms) == {
        "traits.email",
        "context.ip",
        "properties.order.coupon",
        "properties.total",
    }


def test_secret_env_passes_once_the_variable_is_set(
    config_factory: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = config_factory(destinations=[public("ads", secret_env="CG_TEST_HOOK_SECRET")])
    monkeypatch.delenv("CG_TEST_HOOK_SECRET", raising=False)
    assert problems_of(directory) == [
        'destinations.yaml: destination "ads": secret_env "CG_TEST_HOOK_SECRET" is not set in '
        "the environment"
    ]
    monkeypatch.setenv("CG_TEST_HOOK_SECRET", "whsec_dGVzdA==")
    assert read_config(directory).destinations[0].secret_env == "CG_TEST_HOOK_SECRET"


# -------------------------------------------------------- private-network URLs
PRIVATE_URLS = {
    "http://127.0.0.1:9000/hook": '"127.0.0.1" is a loopback address',
    "http://127.8.9.10/": '"127.8.9.10" is a loopback address',
    "http://10.1.2.3/in": '"10.1.2.3" is a private or reserved address',
    "https://172.16.0.5/in": '"172.16.0.5" is a private or reserved address',
    "http://192.168.1.20:8080/in": '"192.168.1.20" is a private or reserved address',
    "http://169.254.169.254/latest/meta-data/": (
        '"169.254.169.254" is a link-local address (includes cloud metadata 169.254.169.254)'
    ),
    "http://metadata.google.internal/computeMetadata/v1/": (
        '"metadata.google.internal" is a cloud metadata address'
    ),
    "http://[::1]:8080/hook": '"::1" is a loopback address',
    "http://[fe80::1]/hook": (
        '"fe80::1" is a link-local address (includes cloud metadata 169.254.169.254)'
    ),
    "http://[fd00::5]/hook": '"fd00::5" is a private or reserved address',
    "http://[::ffff:10.0.0.1]/hook": '"::ffff:10.0.0.1" is a private or reserved address',
    "http://localhost:8080/hook": '"localhost" is a loopback address',
    "http://api.localhost/hook": '"api.localhost" is a loopback address',
    "http://0.0.0.0/": '"0.0.0.0" is a private or reserved address',
    "http://100.64.1.1/": '"100.64.1.1" is a carrier-grade NAT address',
    # IPv4 in the legacy forms resolvers still accept
    "http://2130706433/hook": '"2130706433" is a loopback address',
    "http://127.1/hook": '"127.1" is a loopback address',
    "http://0x7f000001/hook": '"0x7f000001" is a loopback address',
    "http://10.1/hook": '"10.1" is a private or reserved address',
    # IPv4 carried in IPv6: 6to4 and site-local
    "http://[2002:7f00:1::]/hook": '"2002:7f00:1::" is a loopback address',
    "http://[2002:a9fe:a9fe::]/hook": (
        '"2002:a9fe:a9fe::" is a link-local address (includes cloud metadata 169.254.169.254)'
    ),
    "http://[fec0::1]/hook": '"fec0::1" is a private or reserved address',
}


@pytest.mark.parametrize("url", list(PRIVATE_URLS))
def test_private_destination_url_needs_allow_private_network(
    config_factory: Callable[..., Path], url: str
) -> None:
    refused = config_factory(destinations=[webhook("hook", url, allow_private_network=False)])
    assert problems_of(refused) == [
        f'destinations.yaml: destination "hook": url host {PRIVATE_URLS[url]}{PRIVATE_HINT}'
    ]
    allowed = config_factory(destinations=[webhook("hook", url, allow_private_network=True)])
    assert read_config(allowed).destinations[0].allow_private_network is True


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/in", "https://8.8.8.8/in", "http://[2606:4700::1111]/"]
)
def test_public_destination_url_passes(config_factory: Callable[..., Path], url: str) -> None:
    read_config(config_factory(destinations=[webhook("hook", url, allow_private_network=False)]))


def test_checks_that_serve_would_otherwise_fail_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regressions from review: these passed `gateway check` and then crashed `serve`."""
    monkeypatch.setenv("CG_TEST_SHORT_KEY", "short")
    monkeypatch.setenv("CG_TEST_EMPTY_SECRET", "")
    (tmp_path / "not-a-db.mmdb").write_text("not a database")
    (tmp_path / "a-file").write_text("a file where a directory should be")
    (tmp_path / "gateway.yaml").write_text(
        f"geo: {{database: '{tmp_path / 'not-a-db.mmdb'}'}}\n"
        "secrets: {key_env: CG_TEST_SHORT_KEY}\n"
        f"storage: {{backend: sqlite, path: '{tmp_path / 'a-file' / 'gateway.db'}'}}\n",
        encoding="utf-8",
    )
    (tmp_path / "destinations.yaml").write_text(
        "destinations:\n"
        "  - {name: hook, type: webhook, url: 'https://hooks.example.net/in', country: JP,\n"
        "     purposes: [analytics], fields: [event], secret_env: CG_TEST_EMPTY_SECRET}\n",
        encoding="utf-8",
    )
    problems = "\n".join(problems_of(tmp_path))
    assert "cannot be opened as a MaxMind database" in problems
    assert 'key_env "CG_TEST_SHORT_KEY" holds 5 characters' in problems
    assert "is not a directory" in problems
    assert 'secret_env "CG_TEST_EMPTY_SECRET" is not set in the environment' in problems
    policy_only = tmp_path / "policy-case"
    policy_only.mkdir()
    (policy_only / "policy.yaml").write_text("policy: {extra_key_names: {gps: [foo]}}\n")
    assert any("extra_key_names.gps" in p for p in problems_of(policy_only))
