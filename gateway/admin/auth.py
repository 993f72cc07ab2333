"""Admin bearer tokens: configured as SHA-256 digests with scopes, never stored in clear."""

from __future__ import annotations

import hashlib
import hmac

from gateway.config.schema import AdminToken
from gateway.errors import Forbidden, Unauthorized


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authorize(authorization: str | None, tokens: list[AdminToken], scope: str) -> str:
    """The name of the token presented; 401 without a valid token, 403 without the scope."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("admin endpoints need an Authorization: Bearer token")
    digest = token_digest(value.strip())
    match = None
    for token in tokens:
        if hmac.compare_digest(digest, token.sha256):
            match = token
    if match is None:
        raise Unauthorized("unknown admin token")
    if scope not in match.scopes:
        raise Forbidden(f'this token lacks the "{scope}" scope')
    return match.name
