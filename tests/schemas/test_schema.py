"""The JSON Schema of each config file (gateway/schemas/jsonschema.py): the shipped configs
pass it and name it in their modeline, typos fail it, every key has a description, and
schemas/ and docs/config.md are what the models generate today."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from gateway.schemas.jsonschema import FILES, file_schema
from gateway.schemas.reference import markdown

ROOT = Path(__file__).resolve().parents[2]
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)\n")
SHIPPED = ("gateway", "sources", "destinations", "policy")  # no shipped config has plans
CONFIG_DIRS = [ROOT / "configs", ROOT / "docker" / "config", ROOT / "docker" / "single"]


def validator(name: str) -> Draft202012Validator:
    schema = file_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(name: str, document: Any) -> list[str]:
    return [e.message for e in validator(name).iter_errors(document)]


@pytest.mark.parametrize("directory", CONFIG_DIRS, ids=lambda d: d.parent.name + "/" + d.name)
@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_config_passes_the_schema_its_modeline_names(
    directory: Path, name: str
) -> None:
    path = directory / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    modeline = MODELINE.match(text)
    assert modeline, f"{path}: first line must be the yaml-language-server modeline"
    target = (directory / modeline.group(1)).resolve()
    assert target == ROOT / "schemas" / f"{name}.json"
    assert errors(name, yaml.safe_load(text)) == []


def test_schemas_directory_is_what_the_models_generate() -> None:
    for name in FILES:
        written = json.loads((ROOT / "schemas" / f"{name}.json").read_text(encoding="utf-8"))
        assert written == file_schema(name), (
            f"schemas/{name}.json is stale: python -m gateway.schemas.jsonschema schemas"
        )


def test_docs_config_md_is_what_the_models_generate() -> None:
    written = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert written == markdown(), (
        "docs/config.md is stale: python -m gateway.schemas.reference > docs/config.md"
    )


def properties(schema: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every (path, property schema) anywhere in a schema, $defs included."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "if":  # the destination type test, not a key of its own
                continue
            if key == "properties":
                for name, prop in value.items():
                    found.append((f"{where}.{name}", prop))
                    found += properties(prop, f"{where}.{name}")
            else:
                found += properties(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for item in schema:
            found += properties(item, where)
    return found


@pytest.mark.parametrize("name", FILES)
def test_every_key_is_described(name: str) -> None:
    undocumented = [p for p, prop in properties(file_schema(name)) if not prop.get("description")]
    assert undocumented == []


def test_the_keys_the_docs_used_to_miss_are_in_the_reference() -> None:
    reference = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    for key in (
        "admin.tokens[].scopes",
        "destinations[].description",
        "destinations[].enabled",
        "policy.jurisdictions",
        "policy.unknown_country",
        "policy.extra_key_names",
        "policy.opt_out_url",
        "policy.purposes.NAME.description",
    ):
        assert f"| `{key}` |" in reference, key


def test_a_typo_fails_the_schema() -> None:
    assert errors("gateway", {"servr": {"port": 1}})
    assert errors("gateway", {"server": {"prot": 1}})
    assert errors("sources", {"sources": [{"id": "a", "write_key": "k" * 8, "kind": "tv"}]})
    assert errors("policy", {"policy": {"honour_dnt": True}})


def test_each_destination_type_is_checked_with_its_own_keys() -> None:
    base = {"name": "d", "country": "JP", "purposes": ["analytics"], "fields": ["event"]}
    webhook = {**base, "type": "webhook", "url": "https://example.net/hook", "batch_size": 5}
    assert errors("destinations", {"destinations": [webhook]}) == []
    assert errors("destinations", {"destinations": [{**webhook, "type": "file"}]})  # no url
    assert errors("destinations", {"destinations": [{**base, "type": "webhook"}]})  # no url
    assert errors("destinations", {"destinations": [{**base, "type": "fax"}]})
    transforms = {"traits.email": "sha256", "context.ip": {"rename": "ip"}}
    assert errors("destinations", {"destinations": [{**webhook, "transforms": transforms}]}) == []
    bad = {"traits.email": "md5"}
    assert errors("destinations", {"destinations": [{**webhook, "transforms": bad}]})


def test_an_unknown_schema_name_is_refused() -> None:
    with pytest.raises(ValueError, match="one of: gateway, sources, destinations, policy, plans"):
        file_schema("sourcez")
