"""The mypyc-compiled hot modules, seen from the tests: whether they are built from the
sources at hand, and (GATEWAY_PURE=1) a finder that loads their plain-Python sources
instead, so the privacy suite runs on both builds."""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compile_hot", ROOT / "scripts/compile_hot.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("scripts/compile_hot.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()
PATHS: list[str] = SCRIPT.modules()
NAMES = [path.removesuffix(".py").replace("/", ".") for path in PATHS]


def pure() -> bool:
    return os.environ.get("GATEWAY_PURE") == "1"


def built() -> bool:
    return bool(SCRIPT.extensions(PATHS))


def stale() -> bool:
    """Extensions present but built from other sources: they would test old code."""
    return built() and (
        not SCRIPT.STAMP.exists() or SCRIPT.STAMP.read_text() != SCRIPT.digest(PATHS)
    )


class SourceOnly(importlib.abc.MetaPathFinder):
    """Loads the compiled modules from their .py files."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in NAMES:
            return None
        return importlib.util.spec_from_file_location(
            fullname, ROOT / (fullname.replace(".", "/") + ".py")
        )
