"""Console sign-in: an admin token is exchanged for a signed session cookie (HttpOnly,
SameSite=Strict, Secure behind https, Path=/console) that names the token and when it
expires. The token's scopes are read from the running config on every request, so a token
removed from gateway.yaml ends its sessions at the next reload. Every change carries a CSRF
token derived from the session. Signing out clears the cookie and marks the session in the
shared store (`signed_out`), which every worker process checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from gateway.config.schema import AdminToken

COOKIE = "cg_console"
CONSOLE_SCOPES = ("config:read", "config:write", "debug:read", "deadletter")


@dataclass(frozen=True)
class Session:
    name: str
    expires: float
    sid: str
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        return scope in self.scopes


class Sessions:
    def __init__(self, key: bytes) -> None:
        self._key = hmac.new(key, b"console-session-v1", hashlib.sha256).digest()
        self._revoked: dict[str, float] = {}

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def issue(self, name: str, minutes: int) -> str:
        expires = int(time.time() + minutes * 60)
        body = f"{expires}|{secrets.token_urlsafe(12)}|{name}"
        encoded = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
        return f"{encoded}.{self._sign(body)}"

    def read(self, value: str | None, tokens: list[AdminToken]) -> Session | None:
        """The session a cookie holds, if it is ours, unexpired, not signed out, and its token
        is still configured."""
        if not value or "." not in value:
            return None
        encoded, _, signature = value.rpartition(".")
        try:
            body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(self._sign(body), signature):
            return None
        expires_text, sid, name = body.split("|", 2)
        if float(expires_text) < time.time() or sid in self._revoked:
            return None
        token = next((t for t in tokens if t.name == name), None)
        if token is None:
            return None
        return Session(name, float(expires_text), sid, frozenset(token.scopes))

    def csrf(self, session: Session) -> str:
        return self._sign(f"csrf|{session.sid}")[:32]

    def csrf_ok(self, session: Session, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(self.csrf(session), given)

    def revoke(self, session: Session) -> None:
        now = time.time()
        self._revoked = {sid: at for sid, at in self._revoked.items() if at > now}
        self._revoked[session.sid] = session.expires


def signed_out(session: Session) -> str:
    """The store's mark of a signed-out session (`Store.use_once`; `Store.used`)."""
    return f"console-signout:{session.sid}"


def cookie(value: str, minutes: int, secure: bool) -> str:
    flags = f"; Max-Age={minutes * 60}; Path=/console; HttpOnly; SameSite=Strict"
    return f"{COOKIE}={value}{flags}{'; Secure' if secure else ''}"


def cleared(secure: bool) -> str:
    return f"{COOKIE}=; Max-Age=0; Path=/console; HttpOnly; SameSite=Strict" + (
        "; Secure" if secure else ""
    )
