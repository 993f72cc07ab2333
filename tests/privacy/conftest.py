"""One gateway process for the privacy tests that only touch their own subjects; tests that
reload the config start their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.privacy.stack import KEY_ENV, KEY_VALUE, Stack, start_stack, stop_stack


@pytest.fixture(scope="session")
def shared_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_stack(tmp_path_factory.mktemp("privacy") / "config")
    yield stack
    stop_stack(stack)


@pytest.fixture
def stack(shared_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The shared gateway; receivers answer normally again after each test. The gateway key
    is in this process's environment too, for the in-process `gateway dsar` runs."""
    monkeypatch.setenv(KEY_ENV, KEY_VALUE)
    yield shared_stack
    shared_stack.recover()
