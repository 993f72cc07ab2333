"""Compiles the hot modules listed in pyproject.toml ([tool.gateway] compiled) with mypyc,
in place: each gets a C extension beside its .py, which Python imports first. Without a C
compiler the gateway runs the same modules as plain Python. A stamp of the sources (and
mypyc's version) decides whether a rebuild is due; tests/conftest.py refuses to run against
extensions built from other sources."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / ".mypyc"
STAMP = BUILD / "stamp"


def modules() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return list(tomllib.load(file)["tool"]["gateway"]["compiled"])


def digest(paths: list[str]) -> str:
    """What the extensions are built from: the sources, their order and mypyc's version."""
    sha = hashlib.sha256(version("mypy").encode())
    for path in paths:
        sha.update(path.encode() + b"\0" + (ROOT / path).read_bytes())
    return sha.hexdigest()


def extensions(paths: list[str]) -> list[Path]:
    """The built extensions of these modules, and mypyc's shared library beside them."""
    found = [p for path in paths for p in (ROOT / path).parent.glob(Path(path).stem + ".*.so")]
    return found + list(ROOT.glob("*__mypyc.*.so"))


def remove(paths: list[str]) -> None:
    """The extensions of these modules, and any left from a module no longer listed (Python
    would still import it first, and no stamp would say it is stale)."""
    for path in {*extensions(paths), *(ROOT / "gateway").rglob("*.so")}:
        path.unlink()


def main() -> int:
    paths = modules()
    wanted = digest(paths)
    if STAMP.exists() and STAMP.read_text() == wanted and extensions(paths):
        print(f"compiled modules: up to date ({len(paths)})")
        return 0
    remove(paths)
    STAMP.unlink(missing_ok=True)
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        print("compiled modules: no C compiler here, so the gateway runs as plain Python")
        return 0
    BUILD.mkdir(parents=True, exist_ok=True)
    log = BUILD / "build.log"
    mypyc = Path(sys.executable).with_name("mypyc")
    # mypyc runs setuptools in its working directory, which must not be the project's (its
    # pyproject describes a hatch build); `gateway` there is a link to ours, so the
    # extensions land beside the sources, and mypyc's shared library is brought back.
    work = BUILD / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    (work / "gateway").symlink_to(ROOT / "gateway")
    with log.open("w") as out:
        command = [str(mypyc), *paths]  # our own venv's mypyc on our own files
        done = subprocess.run(command, cwd=work, stdout=out, stderr=out, check=False)  # noqa: S603
    for shared in work.glob("*__mypyc.*.so"):
        shutil.copy2(shared, ROOT / shared.name)
    # The link would make packaging tools see gateway/ inside an ignored folder.
    shutil.rmtree(work)
    if done.returncode != 0:
        remove(paths)
        print(f"compiled modules: mypyc failed (exit {done.returncode}); see {log}")
        return 1
    STAMP.write_text(wanted)
    print(f"compiled modules: {len(paths)} built with mypyc")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
