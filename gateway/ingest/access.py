"""Who is calling: write key → source, and whether a browser origin may use it."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from gateway.config.schema import SourceConfig
from gateway.errors import OriginNotAllowed, Unauthorized

REMEMBERED_HEADERS = 256


class Sources:
    def __init__(self, sources: Sequence[SourceConfig]) -> None:
        self._by_key = {s.write_key: s for s in sources}
        self.origins = frozenset(o for s in sources if s.kind == "web" for o in s.allowed_origins)
        self._by_header: dict[str, SourceConfig] = {}
        """Authorization headers that named a configured key: an SDK sends the same one
        with every event, and decoding it each time cost more than the lookup. Bounded (a
        write key is public: anyone can vary the password part)."""

    def default_key(self) -> str | None:
        """The first configured source's write key (what `explain` uses when none is named)."""
        return next(iter(self._by_key), None)

    def authenticate(self, authorization: str | None, body_key: object) -> SourceConfig:
        if authorization:
            remembered = self._by_header.get(authorization)
            if remembered is not None:
                return remembered
        named = basic_username(authorization) if authorization else None
        key = body_key if named is None and isinstance(body_key, str) else named
        if not key:
            raise Unauthorized("missing write key: use HTTP Basic auth or writeKey in the body")
        source = self._by_key.get(key)
        if source is None:
            raise Unauthorized("unknown write key")
        if authorization and named is not None:  # the header alone names the source
            if len(self._by_header) >= REMEMBERED_HEADERS:
                self._by_header.clear()
            self._by_header[authorization] = source
        return source

    def check_origin(self, source: SourceConfig, origin: str | None, own: str) -> None:
        """Browsers send Origin; a web source accepts only its listed origins (and the
        gateway's own pages, which it served itself)."""
        if origin is None or (origin == own and source.kind == "web"):
            return
        if source.kind != "web":
            raise OriginNotAllowed(
                f"this write key belongs to a {source.kind} source, not a web one"
            )
        if origin not in source.allowed_origins:
            raise OriginNotAllowed("origin not allowed for this write key")


def basic_username(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, ValueError):  # ValueError: non-ASCII text (UnicodeError too)
        raise Unauthorized("malformed Basic authorization header") from None
    return decoded.partition(":")[0] or None
