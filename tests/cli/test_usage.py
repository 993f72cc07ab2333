"""A user's mistake on the command line is one line on stderr and exit status 2, never a
traceback; every option says what it does; `gateway --version`."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import gateway
from gateway.cli import build_parser, main

REPO = Path(__file__).resolve().parents[2]
cli_main = importlib.import_module("gateway.cli.main")


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={**os.environ, "GATEWAY_TRACEBACK": ""},
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_version() -> None:
    result = run("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"gateway {gateway.__version__}")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("explain", "--config", "configs", "event.json"),
            "gateway explain: cannot read event.json: No such file or directory "
            "(examples/order-completed.json is one)",
        ),
        (
            ("ledger", "--config", "configs", "--since", "yesterday"),
            'gateway ledger: argument --since: "yesterday" is not an ISO-8601 time',
        ),
        (
            ("ledger", "--config", "configs", "--limit", "0"),
            'gateway ledger: argument --limit: "0" is not a whole number of 1 or more',
        ),
        (
            ("deadletter", "drop", "--config", "configs"),
            "gateway deadletter: drop needs --destination, --id or --all (nothing was dropped)",
        ),
        (("serve", "--port", "http"), 'gateway serve: argument --port: "http" is not a port'),
        (("serve", "--log-level", "loud"), "gateway serve: argument --log-level: invalid choice"),
        (
            (
                "explain",
                "--config",
                "configs",
                "--header",
                "Sec-GPC",
                "examples/order-completed.json",
            ),
            "gateway explain: --header 'Sec-GPC': expected NAME: VALUE",
        ),
        (
            ("dsar", "correction", "--config", "configs", "--subject", "u", "--preferences", "{"),
            "gateway dsar: --preferences: not valid JSON",
        ),
        (("schema", "sourcez"), "gateway schema: argument file: invalid choice"),
        (("nonsense",), "gateway: argument COMMAND: invalid choice"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2(args: tuple[str, ...], says: str) -> None:
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert one_line(result).startswith(says)


def test_an_internal_error_is_one_line_without_the_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug's exception message may quote an event: only its type and place are printed."""

    def broken(args: argparse.Namespace) -> int:
        raise ValueError("alice@example.com 35.6812,139.7671")

    monkeypatch.delenv("GATEWAY_TRACEBACK", raising=False)
    monkeypatch.setattr(cli_main.COMMANDS["schema"], "run", broken)
    assert main(["schema"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("gateway schema: internal error ValueError at ")
    assert "alice" not in err and "35.68" not in err and len(err.splitlines()) == 1


def test_an_unreachable_store_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "gateway.yaml").write_text(
        "storage: {backend: redis, url: 'redis://127.0.0.1:9/0'}\n"
        "secrets: {key_env: GW_USAGE_TEST_KEY}\n"
    )
    (tmp_path / "sources.yaml").write_text(
        "sources: [{id: s, write_key: server-key-0001, kind: server}]\n"
    )
    env = {**os.environ, "GW_USAGE_TEST_KEY": "k" * 40}
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "ledger", "--config", str(tmp_path)],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert one_line(result) == (
        "gateway ledger: the store cannot be reached: Redis did not confirm (ConnectionError)"
        " (check storage in the config)"
    )


def subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += subparsers(sub)
    return found


def test_every_option_and_argument_has_help() -> None:
    missing = [
        f"{parser.prog} {action.dest}"
        for parser in subparsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._VersionAction)
        and not action.help
    ]
    assert missing == []
