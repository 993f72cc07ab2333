"""docker/Dockerfile and docker/compose.yaml, checked without a Docker engine (none runs
where this project is developed): stages, base image, user, healthcheck, that every command
is one the CLI accepts, the config mount, and the Redis settings docs/scale-out.md relies on."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

import gateway
from gateway.cli import build_parser
from gateway.destinations.registry import read_config
from gateway.ingest import sdk

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"

Instruction = tuple[str, str]


def instructions(text: str) -> list[Instruction]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def stages(parsed: list[Instruction]) -> list[tuple[str, str, list[Instruction]]]:
    """(image, stage name, instructions) per FROM."""
    out: list[tuple[str, str, list[Instruction]]] = []
    for keyword, rest in parsed:
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else ""
            out.append((words[0], name, []))
        elif out:
            out[-1][2].append((keyword, rest))
    return out


def exec_form(rest: str) -> list[str]:
    value = json.loads(rest)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), rest
    return value


def parse(command: list[str]) -> Any:
    """The CLI's reading of a container command; a command it refuses fails the test."""
    try:
        return build_parser().parse_args(command)
    except SystemExit:
        raise AssertionError(f"gateway refuses the command {command}") from None


def copy_parts(rest: str) -> tuple[dict[str, str], list[str], str]:
    words = rest.split()
    flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--"))
    paths = [w for w in words if not w.startswith("--")]
    return flags, paths[:-1], paths[-1]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str, list[Instruction]]]:
    return stages(instructions((DOCKER / "Dockerfile").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def final(dockerfile: list[tuple[str, str, list[Instruction]]]) -> list[Instruction]:
    return dockerfile[-1][2]


def last(stage: list[Instruction], keyword: str) -> str:
    found = [rest for k, rest in stage if k == keyword]
    assert found, f"the final stage has no {keyword}"
    return found[-1]


def test_the_image_is_multi_stage_on_a_slim_python(dockerfile: Any) -> None:
    assert len(dockerfile) >= 2
    image, _, stage = dockerfile[-1]
    assert image.startswith("python:3.11-slim"), image
    for base, _, _ in dockerfile:
        assert not base.startswith("python:") or "-slim" in base, base
    names = {name for _, name, _ in dockerfile[:-1]}
    sources = {copy_parts(rest)[0].get("from") for k, rest in stage if k == "COPY"}
    assert names and names <= sources, "every build stage must feed the runtime stage"


def test_the_runtime_runs_as_a_non_root_user(dockerfile: Any) -> None:
    stage = final(dockerfile)
    user = last(stage, "USER").split(":")[0]
    assert user not in ("root", "0", ""), user
    after_user = stage[[k for k, _ in stage].index("USER") :]
    assert "RUN" not in {k for k, _ in after_user}, "nothing should run as root after USER"


def test_the_healthcheck_asks_readyz_on_the_served_port(dockerfile: Any) -> None:
    stage = final(dockerfile)
    check = last(stage, "HEALTHCHECK")
    assert "CMD" in check and "/readyz" in check
    entry = exec_form(last(stage, "ENTRYPOINT"))
    assert entry == ["python", "-m", "gateway"]
    args = parse(exec_form(last(stage, "CMD")))
    assert args.command == "serve" and args.host == "0.0.0.0"
    assert f"127.0.0.1:{args.port}/readyz" in check
    assert str(args.port) in last(stage, "EXPOSE").split()


def test_the_image_layout_matches_where_the_code_looks(dockerfile: Any) -> None:
    """`python -m gateway` from /app finds the SDK at sdk.DIST (two levels above the module)."""
    stage = final(dockerfile)
    env = " ".join(rest for k, rest in stage if k == "ENV")
    assert "PYTHONPATH=/app" in env
    targets = {copy_parts(rest)[2].rstrip("/") for k, rest in stage if k == "COPY"}
    package_root = Path(gateway.__file__).resolve().parents[1]
    assert "/app/gateway" in targets
    assert "/app/" + sdk.DIST.relative_to(package_root).as_posix() in targets


def test_every_copied_path_exists_and_is_not_ignored(dockerfile: Any) -> None:
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [line.strip() for line in ignore if line.strip() and not line.startswith("#")]

    def included(path: str) -> bool:
        verdict = True
        for rule in rules:
            negated = rule.startswith("!")
            pattern = rule.lstrip("!")
            if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern + "/**"):
                verdict = negated
        return verdict

    for _, _, stage in dockerfile:
        for keyword, rest in stage:
            flags, sources, _ = copy_parts(rest) if keyword == "COPY" else ({}, [], "")
            if "from" in flags:
                continue
            for source in sources:
                path = ROOT / source.removeprefix("./")
                assert path.exists(), source
                files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
                names = [p.relative_to(ROOT).as_posix() for p in files]
                if path.is_dir():
                    names = [n for n in names if "/node_modules/" not in n and "dist/" not in n]
                    names = [n for n in names if "__pycache__" not in n]
                assert names and any(included(n) for n in names), f"{source} is ignored"


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def gateway_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in services(compose).items() if "redis" not in str(s.get("image"))}


def test_compose_runs_two_edge_nodes_a_worker_and_redis(compose: dict[str, Any]) -> None:
    commands = {n: parse(s["command"]) for n, s in gateway_services(compose).items()}
    edges = [n for n, a in commands.items() if a.command == "serve" and a.no_worker]
    workers = [n for n, a in commands.items() if a.command == "worker"]
    assert len(edges) == 2 and len(workers) == 1, commands
    published = []
    for name in edges:
        (mapping,) = services(compose)[name]["ports"]
        host, container = str(mapping).rsplit(":", 1)
        assert int(container) == commands[name].port and commands[name].host == "0.0.0.0"
        published.append(host)
    assert len(set(published)) == 2
    redis = [s for s in services(compose).values() if "redis" in str(s.get("image"))]
    assert len(redis) == 1


def test_every_gateway_service_mounts_the_config_read_only(compose: dict[str, Any]) -> None:
    for name, service in gateway_services(compose).items():
        config_dir = parse(service["command"]).config
        mounts = [v for v in service["volumes"] if v["target"] == config_dir]
        assert len(mounts) == 1, name
        assert mounts[0]["type"] == "bind" and mounts[0]["read_only"] is True, name
        assert (DOCKER / mounts[0]["source"]).is_dir()
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "GATEWAY_KEY" in service["environment"]
        build = service["build"]
        assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"


def test_the_mounted_config_is_valid_and_points_at_the_redis_service(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_KEY", "a-test-key-that-is-long-enough-0123456789")
    config = read_config(DOCKER / "config")
    storage = config.gateway.storage
    assert storage.backend == "redis"
    assert urlsplit(storage.url).hostname in services(compose)
    assert config.gateway.secrets.key_env == "GATEWAY_KEY"
    policy = (DOCKER / "config" / "policy.yaml").read_text(encoding="utf-8")
    assert policy == (ROOT / "configs" / "policy.yaml").read_text(encoding="utf-8")


def redis_flags(compose: dict[str, Any]) -> dict[str, str]:
    (redis,) = [s for s in services(compose).values() if "redis" in str(s.get("image"))]
    command = redis["command"]
    assert command[0] == "redis-server"
    return dict(zip(command[1::2], command[2::2], strict=True))


def test_redis_runs_with_the_settings_the_gateway_relies_on(compose: dict[str, Any]) -> None:
    flags = redis_flags(compose)
    assert flags["--appendonly"] == "yes"
    assert flags["--appendfsync"] in ("always", "everysec")
    assert flags["--maxmemory-policy"] == "noeviction"
    (redis,) = [s for s in services(compose).values() if "redis" in str(s.get("image"))]
    assert any(str(v).endswith(":/data") for v in redis["volumes"])
    assert "ports" not in redis, "Redis should not be published"


def test_the_docs_say_the_images_were_not_built_here() -> None:
    text = (ROOT / "docs" / "scale-out.md").read_text(encoding="utf-8")
    assert "not been built" in text and "docker/compose.yaml" in text
