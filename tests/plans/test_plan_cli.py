"""`gateway plan export | import | infer` as commands: what they print and how they fail."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import orjson
import yaml

from gateway.cli.main import main
from tests.support.configs import write_config

PLAN = {
    "name": "shop",
    "unplanned_events": "allow",
    "events": {"Signed Up": {"properties": {"properties": {"plan": {"enum": ["a"]}}}}},
    "screens": ["Home"],
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_export_then_import_prints_the_same_plan(tmp_path: Path) -> None:
    sources = [{"id": "app", "write_key": "app-key-0001", "kind": "ios", "tracking_plan": "shop"}]
    directory = write_config(tmp_path / "config", sources=sources)
    (directory / "plans.yaml").write_text(yaml.safe_dump({"plans": [PLAN]}), encoding="utf-8")
    code, exported, _ = run("plan", "export", "shop", "--config", str(directory))
    assert code == 0
    schema = tmp_path / "shop.json"
    schema.write_text(exported)
    code, imported, _ = run("plan", "import", str(schema), "--name", "again")
    assert code == 0
    plan = yaml.safe_load(imported)["plans"][0]
    assert plan == {
        **PLAN,
        "name": "again",
        "unplanned_properties": "drop",
        "violations": "drop_property",
    }
    code, _, err = run("plan", "export", "nope", "--config", str(directory))
    assert code == 1 and err == f'no plan "nope" in {directory} (plans: shop)\n'


def test_import_refuses_what_is_not_an_export(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_bytes(orjson.dumps({"type": "object"}))
    assert run("plan", "import", str(path)) == (
        1,
        "",
        "other.json: the document has no anyOf list of planned calls\n",
    )


def test_infer_names_bad_lines_by_number_never_by_content(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"type": "track", "event": "A"}\nsecret@example.com\n[1]\n')
    code, out, err = run("plan", "infer", "--from", str(path))
    assert (code, out) == (1, "")
    assert err == "line 2: not JSON\nline 3: an event must be a JSON object\n"
