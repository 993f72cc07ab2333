"""The `gateway` command: run as users run it (`python -m gateway ...` in a subprocess) for
the exit codes and output that matter most, and through `main()` for the rest."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.destinations.registry import read_config
from gateway.errors import ConfigError
from tests.support.configs import webhook

REPO = Path(__file__).resolve().parents[1]


def gateway(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def test_check_passes_the_demo_config_with_a_one_line_summary() -> None:
    result = gateway("check", "--config", "configs")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [read_config(REPO / "configs").summary()]
    assert result.stdout.startswith("config OK: 3 source(s), 2 destination(s), 3 purpose(s)")
    assert result.stderr == ""


def test_check_prints_every_problem_and_exits_1(config_factory: Callable[..., Path]) -> None:
    directory = config_factory(
        destinations=[
            webhook("ads", "http://169.254.169.254/", country="CN", allow_private_network=False),
            webhook("ads", "ftp://files.example.com/", purposes=["marketing"]),
        ],
        gateway={"limits": {"max_depth": 1}},
    )
    with pytest.raises(ConfigError) as caught:
        read_config(directory)
    problems = caught.value.problems
    assert len(problems) == 6

    result = gateway("check", "--config", str(directory))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [*problems, f"6 problem(s) in {directory}"]
    assert (
        'destinations.yaml: destination "ads": country "CN" is not an allowed transfer country '
        "(allowed: PH, AU, CA, US, KR, TW)"
    ) in problems


def test_check_reads_secrets_from_the_environment(
    config_factory: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    directory = config_factory(
        destinations=[webhook("hook", "https://hooks.example.com/", secret_env="CG_CLI_SECRET")]
    )
    monkeypatch.delenv("CG_CLI_SECRET", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["check", "--config", str(directory)])
    assert exited.value.code == 1
    missing = capsys.readouterr()
    assert missing.err.splitlines() == [
        'destinations.yaml: destination "hook": secret_env "CG_CLI_SECRET" is not set in the '
        "environment",
        f"1 problem(s) in {directory}",
    ]

    monkeypatch.setenv("CG_CLI_SECRET", "s3cr3t")
    assert main(["check", "--config", str(directory)]) == 0
    present = capsys.readouterr()
    assert present.out.startswith("config OK: 3 source(s), 1 destination(s)")
    assert "s3cr3t" not in present.out + present.err


def test_check_on_a_missing_directory_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--config", str(tmp_path / "nope")])
    assert exited.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{tmp_path / 'nope'}: config directory does not exist",
        f"1 problem(s) in {tmp_path / 'nope'}",
    ]


def test_serve_refuses_to_start_on_an_invalid_config(config_factory: Callable[..., Path]) -> None:
    directory = config_factory(destinations=[webhook("ads", "https://a.example/", country="CN")])
    result = gateway("serve", "--config", str(directory), "--port", "9")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        'destinations.yaml: destination "ads": country "CN" is not an allowed transfer country '
        "(allowed: PH, AU, CA, US, KR, TW)",
        f"1 problem(s) in {directory}",
    ]
    assert "listening" not in result.stdout


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "usage: gateway" in capsys.readouterr().err
