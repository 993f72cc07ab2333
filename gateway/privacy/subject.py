"""Subject tokens: the gateway-issued, signed proof that a browser or app is the subject it
claims to be. Issued with accepted events (cookie `gw_sid` and header `Gateway-Subject`),
required to read or change preferences, so nobody can change another person's choices by
guessing an anonymousId. A token carries subject keys (keyed hashes), never the raw IDs:
no userId sits in a cookie, and the token's size does not grow with the IDs'."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson

COOKIE = "gw_sid"
HEADER = "gateway-subject"
FORM_LIFETIME = 2 * 3600
REISSUE_SECONDS = 600.0
RECENT_SIZE = 50_000
LIFETIME_SECONDS = 400 * 24 * 3600  # the longest cookie lifetime browsers keep (RFC 6265bis)


@dataclass(frozen=True, slots=True)
class Subject:
    anon_key: str
    user_key: str | None
    issued_at: int


class SubjectTokens:
    def __init__(self, key: bytes) -> None:
        self._key = hmac.new(key, b"subject-token-v1", hashlib.sha256).digest()
        self._recent: dict[tuple[str, str | None], tuple[float, str]] = {}

    def current(self, anon_key: str, user_key: str | None) -> str:
        """A token for this device, reused for REISSUE_SECONDS: a visitor's every event
        answers with one, and signing each anew costs more than the rest of the answer."""
        now = time.time()
        key = (anon_key, user_key)
        cached = self._recent.get(key)
        if cached is not None and now - cached[0] < REISSUE_SECONDS:
            return cached[1]
        token = self.issue(anon_key, user_key, now)
        if len(self._recent) >= RECENT_SIZE:
            self._recent.clear()
        self._recent[key] = (now, token)
        return token

    def issue(self, anon_key: str, user_key: str | None, now: float | None = None) -> str:
        claims = {
            "a": anon_key,
            "u": user_key,
            "t": int(now if now is not None else time.time()),
        }
        body = _b64(orjson.dumps(claims))
        return f"v1.{body}.{self._sign(body)}"

    def verify(self, token: str | None, now: float | None = None) -> Subject | None:
        """The subject, or None for a missing, forged, foreign or expired token."""
        if not token or len(token) > 2048:
            return None
        version, _, rest = token.partition(".")
        body, _, signature = rest.partition(".")
        if version != "v1" or not _same(signature, self._sign(body)):
            return None
        try:
            claims = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, orjson.JSONDecodeError):
            return None
        issued = claims.get("t") if isinstance(claims, dict) else None
        if not isinstance(issued, int):
            return None
        if (now if now is not None else time.time()) - issued > LIFETIME_SECONDS:
            return None
        anon_key, user_key = claims.get("a"), claims.get("u")
        if not isinstance(anon_key, str) or not isinstance(user_key, str | None):
            return None
        if not anon_key:
            return None  # a token speaks for a device; a userId alone is only a claim
        return Subject(anon_key, user_key, issued)

    def form_token(self, subject: Subject, now: float | None = None) -> str:
        """A CSRF token bound to the subject (not to one subject token: every accepted event
        re-issues the cookie), valid FORM_LIFETIME seconds, single use (the caller records
        its nonce as used)."""
        issued = str(int(now if now is not None else time.time()))
        nonce = secrets.token_urlsafe(12)
        return f"{issued}.{nonce}.{self._sign(_form_claims(subject, issued, nonce))}"

    def check_form_token(
        self, subject: Subject, form_token: str | None, now: float | None = None
    ) -> str | None:
        """The token's nonce when it is genuine, for this subject and fresh; else None."""
        if not form_token or form_token.count(".") != 2:
            return None
        issued, nonce, signature = form_token.split(".")
        expected = self._sign(_form_claims(subject, issued, nonce))
        if not issued.isdigit() or not _same(signature, expected):
            return None
        age = (now if now is not None else time.time()) - int(issued)
        return nonce if 0 <= age <= FORM_LIFETIME else None

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())


def _form_claims(subject: Subject, issued: str, nonce: str) -> str:
    return orjson.dumps(["form", subject.anon_key, subject.user_key, issued, nonce]).decode()


def _same(given: str, expected: str) -> bool:
    """Constant-time, and a non-ASCII forgery is just wrong (compare_digest raises on it)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cookie_header(token: str, secure: bool) -> str:
    parts = [
        f"{COOKIE}={token}",
        "Path=/",
        f"Max-Age={LIFETIME_SECONDS}",
        "HttpOnly",
        "SameSite=Lax",
    ]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
