"""read_config: reading the directory, YAML problems, the schema (unknown keys everywhere),
and the one-pass report. Each broken config asserts its exact sentences."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway.config.loader import Config
from gateway.config.schema import GatewayFile
from gateway.destinations.registry import read_config
from gateway.errors import ConfigError
from tests.support.configs import webhook

REPO = Path(__file__).resolve().parents[2]
HOOK = "https://hooks.example.com/in"
# The sections of gateway.yaml grow with the project; the sentence lists them all, sorted.
KNOWN_SECTIONS = ", ".join(
    sorted([*GatewayFile.model_fields, "policy", "sources", "destinations", "plans"])
)


@dataclass
class Broken:
    """A config made by `write_config(**settings)`, then `files` written over it verbatim."""

    problems: list[str]
    settings: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str | bytes] = field(default_factory=dict)


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        read_config(directory)
    return caught.value.problems


def make(config_factory: Callable[..., Path], case: Broken) -> Path:
    directory = config_factory(**case.settings)
    for name, text in case.files.items():
        (directory / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return directory


BROKEN = {
    # ---------------------------------------------------------------- YAML itself
    "yaml-unclosed-bracket": Broken(
        [
            "destinations.yaml: line 4, column 1: YAML syntax error: did not find expected "
            "',' or ']' (while parsing a flow sequence at line 3, column 10)"
        ],
        files={"destinations.yaml": "destinations:\n  - name: a\n    url: [unclosed\n"},
    ),
    "yaml-bad-indentation": Broken(
        [
            "sources.yaml: line 3, column 4: YAML syntax error: did not find expected '-' "
            "indicator (while parsing a block collection at line 2, column 3)"
        ],
        files={"sources.yaml": "sources:\n  - id: a\n   kind: web\n"},
    ),
    "yaml-tab": Broken(
        [
            "sources.yaml: line 3, column 1: YAML syntax error: found a tab character that "
            "violates indentation (while scanning a plain scalar at line 2, column 9)"
        ],
        files={"sources.yaml": "sources:\n  - id: a\n\twrite_key: x\n"},
    ),
    "yaml-bad-token": Broken(
        [
            "gateway.yaml: line 1, column 7: YAML syntax error: found character that cannot "
            "start any token"
        ],
        files={"gateway.yaml": "geo: {@database: x}\n"},
    ),
    "yaml-duplicate-key": Broken(
        ['sources.yaml: line 5, column 5: YAML syntax error: duplicate key "kind"'],
        files={
            "sources.yaml": (
                "sources:\n  - id: web\n    write_key: test-web-key-0001\n"
                "    kind: web\n    kind: server\n"
            )
        },
    ),
    "yaml-duplicate-section": Broken(
        ['gateway.yaml: line 2, column 1: YAML syntax error: duplicate key "limits"'],
        files={"gateway.yaml": "limits: {max_depth: 8}\nlimits: {max_depth: 64}\n"},
    ),
    "not-utf8": Broken(
        ["policy.yaml: cannot be read as YAML (UnicodeDecodeError)"],
        files={"policy.yaml": b"policy: {version: \xff}\n"},
    ),
    "file-is-a-list": Broken(
        ["sources.yaml: the file must be a mapping of sections, not a list or value"],
        files={"sources.yaml": "- id: web\n- id: app\n"},
    ),
    "section-not-a-list": Broken(
        ["sources.yaml: sources: must be a list"],
        files={"sources.yaml": "sources: {id: web}\n"},
    ),
    "section-in-two-files": Broken(
        ['more.yaml: section "storage" is already defined in gateway.yaml'],
        files={"more.yaml": "storage: {backend: sqlite}\n"},
    ),
    "policy-not-a-mapping": Broken(
        ["policy.yaml: policy: must be a mapping"],
        files={"policy.yaml": "policy: [strict]\n"},
    ),
    # ----------------------------------------------------- unknown keys, every level
    "unknown-section-in-gateway-yaml": Broken(
        [f'gateway.yaml: unknown section "limitz" (known sections: {KNOWN_SECTIONS})'],
        settings={"gateway": {"limitz": {"max_depth": 8}}},
    ),
    "unknown-section-in-own-file": Broken(
        [f'extra.yaml: unknown section "destination" (known sections: {KNOWN_SECTIONS})'],
        files={"extra.yaml": "destination:\n  - name: a\n"},
    ),
    "typo-in-gateway-section": Broken(
        ['gateway.yaml: limits: unknown key "max_event_byte"'],
        settings={"gateway": {"limits": {"max_event_byte": 4096}}},
    ),
    "typo-in-storage": Broken(
        ['gateway.yaml: storage: unknown key "pth"'],
        files={"gateway.yaml": "storage: {backend: sqlite, pth: x.db}\n"},
    ),
    "typo-in-trusted-proxies": Broken(
        ['gateway.yaml: trusted_proxies: unknown key "network"'],
        settings={"gateway": {"trusted_proxies": {"network": ["10.0.0.0/8"]}}},
    ),
    "typo-in-admin-token": Broken(
        ['gateway.yaml: admin.tokens.0: unknown key "scope"'],
        settings={
            "gateway": {
                "admin": {
                    "tokens": [
                        {"name": "ops", "sha256": "0" * 64, "scopes": ["explain"], "scope": 1}
                    ]
                }
            }
        },
    ),
    "typo-in-destination-key": Broken(
        ['destinations.yaml: destination "ads": unknown key "contry"'],
        settings={"destinations": [webhook("ads", HOOK, contry="US")]},
    ),
    "typo-in-destination-events": Broken(
        ['destinations.yaml: destination "ads": events: unknown key "type"'],
        settings={"destinations": [webhook("ads", HOOK, events={"type": ["track"]})]},
    ),
    "typo-in-source-key": Broken(
        ['sources.yaml: source "web": unknown key "allowed_origin"'],
        settings={
            "sources": [
                {"id": "web", "write_key": "web-key-0001", "kind": "web", "allowed_origin": []}
            ]
        },
    ),
    "typo-in-policy": Broken(
        ['policy.yaml: policy: unknown key "purpose"'],
        settings={"policy": {"purpose": {"analytics": {"default": "granted"}}}},
    ),
    "typo-in-policy-purpose": Broken(
        ['policy.yaml: policy: purposes.analytics: unknown key "defualt"'],
        settings={"policy": {"purposes": {"analytics": {"defualt": "denied"}}}},
    ),
    "typo-in-policy-transfers": Broken(
        ['policy.yaml: policy: transfers: unknown key "allowed"'],
        settings={"policy": {"transfers": {"allowed": ["CN"]}}},
    ),
    # ------------------------------------------------------------- item structure
    "destination-not-a-mapping": Broken(
        ["destinations.yaml: destination #1: must be a mapping"],
        files={"destinations.yaml": "destinations:\n  - analytics-hook\n"},
    ),
    "destination-without-type": Broken(
        [
            'destinations.yaml: destination "a": missing required key "type" '
            "(one of: file, ga4, meta_capi, segment, webhook)"
        ],
        files={"destinations.yaml": "destinations:\n  - name: a\n"},
    ),
    "destination-unknown-type": Broken(
        [
            'destinations.yaml: destination "a": type "ga5" is not a destination type '
            "(known types: file, ga4, meta_capi, segment, webhook)"
        ],
        files={"destinations.yaml": "destinations:\n  - {name: a, type: ga5}\n"},
    ),
    "destination-missing-keys": Broken(
        [
            'destinations.yaml: destination "a": missing required key "country"',
            'destinations.yaml: destination "a": missing required key "purposes"',
            'destinations.yaml: destination "a": missing required key "fields"',
        ],
        settings={"destinations": [{"name": "a", "type": "webhook", "url": HOOK}]},
    ),
    "url-not-http-ftp": Broken(
        [
            'destinations.yaml: destination "ads": url: must be an http(s) URL with a host '
            '(got scheme "ftp")'
        ],
        settings={"destinations": [webhook("ads", "ftp://files.example.com/in")]},
    ),
    "url-without-scheme": Broken(
        [
            'destinations.yaml: destination "ads": url: must be an http(s) URL with a host '
            '(got scheme "none")'
        ],
        settings={"destinations": [webhook("ads", "hooks.example.com/in")]},
    ),
    "url-javascript": Broken(
        [
            'destinations.yaml: destination "ads": url: must be an http(s) URL with a host '
            '(got scheme "javascript")'
        ],
        settings={"destinations": [webhook("ads", "javascript:alert(1)")]},
    ),
    "bad-transform-name": Broken(
        [
            'destinations.yaml: destination "ads": transforms.properties.email: must be sha256, '
            "truncate_ip, drop or {rename: new.dotted.path}"
        ],
        settings={"destinations": [webhook("ads", HOOK, transforms={"properties.email": "md5"})]},
    ),
    "bad-trusted-proxy-network": Broken(
        [
            'gateway.yaml: trusted_proxies.networks: "proxy.internal" is not an IP network '
            "(use CIDR, e.g. 10.0.0.0/8)"
        ],
        settings={"gateway": {"trusted_proxies": {"networks": ["proxy.internal"]}}},
    ),
    "origin-with-path": Broken(
        [
            'sources.yaml: source "web": allowed_origins: "https://shop.example.com/" is not '
            "an origin (scheme://host[:port], no path or trailing slash)"
        ],
        settings={
            "sources": [
                {
                    "id": "web",
                    "write_key": "web-key-0001",
                    "kind": "web",
                    "allowed_origins": ["https://shop.example.com/"],
                }
            ]
        },
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_config_is_reported_in_exact_sentences(
    config_factory: Callable[..., Path], name: str
) -> None:
    case = BROKEN[name]
    assert problems_of(make(config_factory, case)) == case.problems


def test_every_problem_in_every_file_is_reported_in_one_pass(
    config_factory: Callable[..., Path],
) -> None:
    directory = config_factory(
        gateway={"limits": {"max_depth": 1000}},
        destinations=[
            webhook("ads", "http://10.0.0.7/in", country="CN", allow_private_network=False),
            webhook("crm", HOOK, purposes=["marketing"], colour="red"),
        ],
    )
    (directory / "sources.yaml").write_text("sources: [\n", encoding="utf-8")
    (directory / "extra.yaml").write_text("metrics: {port: 9100}\n", encoding="utf-8")
    assert problems_of(directory) == [
        f'extra.yaml: unknown section "metrics" (known sections: {KNOWN_SECTIONS})',
        "sources.yaml: line 2, column 1: YAML syntax error: did not find expected node content",
        "gateway.yaml: limits.max_depth: input should be less than or equal to 128",
        'destinations.yaml: destination "crm": unknown key "colour"',
        'destinations.yaml: destination "ads": country "CN" is not an allowed transfer country '
        "(allowed: PH, AU, CA, US, KR, TW)",
        'destinations.yaml: destination "ads": url host "10.0.0.7" is a private or reserved '
        "address; set allow_private_network: true to allow it (for loopback or test receivers "
        "only)",
        'destinations.yaml: destination "crm": purpose "marketing" is not declared in policy '
        "(declared: service, analytics, advertising)",
    ]


def test_a_broken_policy_still_lists_the_schema_problems_of_every_file(
    config_factory: Callable[..., Path],
) -> None:
    directory = config_factory(
        policy={"transfers": {"home_country": "Japan"}},
        destinations=[webhook("crm", HOOK, colour="red")],
        gateway={"limits": {"max_depth": 2}},
    )
    assert problems_of(directory) == [
        "gateway.yaml: limits.max_depth: input should be greater than or equal to 4",
        "policy.yaml: policy: transfers.home_country: string should match pattern '^[A-Z]{2}$'",
        'destinations.yaml: destination "crm": unknown key "colour"',
    ]


def test_the_known_sections_are_the_documented_ones() -> None:
    for section in ("server", "storage", "geo", "limits", "trusted_proxies", "policy"):
        assert section in KNOWN_SECTIONS.split(", ")


def test_the_demo_config_loads() -> None:
    config = read_config(REPO / "configs")
    assert isinstance(config, Config)
    assert [s.id for s in config.sources] == ["demo-web", "demo-app", "demo-server"]
    assert [d.name for d in config.destinations] == ["demo-analytics", "demo-ads"]
    assert config.policy.transfers.home_country == "JP"
    assert config.summary() == (
        "config OK: 3 source(s), 2 destination(s), 3 purpose(s), storage sqlite, policy 2026-04-01"
    )


def test_a_minimal_directory_gets_the_builtin_policy(config_factory: Callable[..., Path]) -> None:
    config = read_config(config_factory(destinations=[webhook("hook", HOOK)]))
    assert list(config.policy.purposes) == ["service", "analytics", "advertising"]
    assert config.policy.transfers.allowed_countries == ["PH", "AU", "CA", "US", "KR", "TW"]
    assert config.policy.forbidden_categories == [
        "location",
        "contacts",
        "message_content",
        "media",
    ]
    assert [j.name for j in config.policy.jurisdictions] == ["eea-uk-ch"]
    assert config.origin_files["destinations"] == "destinations.yaml"


def test_sections_and_items_may_come_from_any_yaml_file(
    config_factory: Callable[..., Path],
) -> None:
    directory = config_factory(destinations=[webhook("one", HOOK)])
    (directory / "more-destinations.yml").write_text(
        "destinations:\n"
        "  - {name: two, type: webhook, url: 'https://b.example.net/', country: US,\n"
        "     purposes: [service], fields: [event]}\n"
        "limits: {max_depth: 8}\n",
        encoding="utf-8",
    )
    config = read_config(directory)
    assert [d.name for d in config.destinations] == ["one", "two"]
    assert config.gateway.limits.max_depth == 8


def test_a_missing_directory_is_one_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert problems_of(missing) == [f"{missing}: config directory does not exist"]


def test_schema_errors_name_the_key_not_the_value(
    config_factory: Callable[..., Path],
) -> None:
    canary = "sk_live_CANARY_51H"
    directory = config_factory(
        destinations=[webhook("ads", HOOK, enabled=canary, batch_size=canary, fields=[canary, 7])],
        gateway={"server": {"port": canary}},
    )
    assert problems_of(directory) == [
        "gateway.yaml: server.port: input should be a valid integer, unable to parse string "
        "as an integer",
        'destinations.yaml: destination "ads": fields.1: input should be a valid string',
        'destinations.yaml: destination "ads": enabled: input should be a valid boolean, '
        "unable to interpret input",
        'destinations.yaml: destination "ads": batch_size: input should be a valid integer, '
        "unable to parse string as an integer",
        'destinations.yaml: destination "ads": fields pattern "sk_live_CANARY_51H" cannot match '
        'anything: "sk_live_CANARY_51H" is not a top-level event field (fields: anonymousId, '
        "category, channel, context, event, groupId, integrations, messageId, name, "
        "originalTimestamp, previousId, properties, receivedAt, sentAt, timestamp, traits, "
        "type, userId, version)",
    ]


def test_an_unreadable_yaml_path_is_a_problem_not_a_crash(
    config_factory: Callable[..., Path],
) -> None:
    directory = config_factory()
    (directory / "archive.yaml").mkdir()
    (directory / ".#destinations.yaml").symlink_to(directory / "gone")  # an editor's lock link
    assert problems_of(directory) == [
        ".#destinations.yaml: cannot be read (No such file or directory)",
        "archive.yaml: cannot be read (Is a directory)",
    ]


@pytest.mark.parametrize("first", ["gateway.destinations", "gateway.destinations.network"])
def test_the_adapters_can_be_imported_before_the_config(first: str) -> None:
    """gateway.destinations needs the config schema; the loader is given the adapters'
    models: whichever a fresh interpreter imports first, both must load."""
    code = (
        f"import {first}, gateway.config, gateway.destinations.registry as r; "
        "print(sorted(r.CONFIG_MODELS))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "webhook" in result.stdout
