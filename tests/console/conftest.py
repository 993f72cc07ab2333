"""One gateway process for the console tests; each test starts from the original
destinations.yaml."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.console.stack import ConsoleStack, start_console_stack


@pytest.fixture(scope="session")
def shared_console(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ConsoleStack, str]]:
    stack, text = start_console_stack(tmp_path_factory.mktemp("console") / "config")
    yield stack, text
    stack.process.stop()
    for receiver in stack.receivers.values():
        receiver.close()


@pytest.fixture
def console(shared_console: tuple[ConsoleStack, str]) -> Iterator[ConsoleStack]:
    stack, text = shared_console
    stack.reset(text)
    yield stack
