"""A request's head as a plain ASGI handler reads it, without Starlette's Request: the
header fields decoded from the scope's raw list once (Starlette's Headers scans the list
on every lookup), the peer's address and the cookies."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.requests import cookie_parser

Scope = MutableMapping[str, Any]


class RequestHead:
    __slots__ = ("fields", "scope")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        # Reversed: of a repeated field the first wins, as with Starlette's Headers.get.
        self.fields: dict[str, str] = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in reversed(scope["headers"])
        }

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    def getlist(self, name: str) -> list[str]:
        """Every line of a repeated field (the forwarded-for header), in order."""
        key = name.encode("latin-1")
        return [value.decode("latin-1") for field, value in self.scope["headers"] if field == key]

    @property
    def peer(self) -> str | None:
        client = self.scope.get("client")
        return client[0] if client else None

    def cookie(self, name: str) -> str | None:
        header = self.fields.get("cookie")
        return cookie_parser(header).get(name) if header else None
