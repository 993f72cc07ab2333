"""The hot modules run as the build says: compiled where `make compiled` built them, from
source under GATEWAY_PURE=1 (how CI runs the privacy suite on both builds)."""

from __future__ import annotations

import importlib

import pytest

from tests.support import compiled


@pytest.mark.parametrize("name", compiled.NAMES)
def test_each_hot_module_runs_as_built(name: str) -> None:
    module = importlib.import_module(name)
    origin = str(module.__file__)
    if compiled.pure() or not compiled.built():
        assert origin.endswith(".py"), origin
    else:
        assert origin.endswith(".so"), f"{name} is listed as compiled but ran from {origin}"
