"""A device identity for a visitor who opens the preference page before sending any event:
without one there would be nothing to set, and a person could not refuse before being
tracked. The page creates the device (a random anonymousId, like the SDK's own), signs its
subject token, and shares the anonymousId with the SDK in a first-party cookie, so the SDK's
events then speak for the same device and a refusal made first holds."""

from __future__ import annotations

import uuid

from gateway.policy.identifiers import SubjectKeys
from gateway.privacy.subject import LIFETIME_SECONDS, Subject, SubjectTokens, cookie_header

ANON_COOKIE = "cg_anon_id"  # read by the SDK (sdk-js/src/gateway.js): not HttpOnly


def new_device(tokens: SubjectTokens, keys: SubjectKeys, secure: bool) -> tuple[Subject, list[str]]:
    """A fresh device's subject and the Set-Cookie headers that give it to the browser: the
    subject token (HttpOnly) and the anonymousId for the SDK on the same site."""
    anonymous_id = str(uuid.uuid4())
    token = tokens.issue(keys.key("anon", anonymous_id), None)
    subject = tokens.verify(token)
    if subject is None:  # a token just signed with our own key always verifies
        raise RuntimeError("a freshly issued subject token did not verify")
    shared = [
        f"{ANON_COOKIE}={anonymous_id}",
        "Path=/",
        f"Max-Age={LIFETIME_SECONDS}",
        "SameSite=Lax",
    ]
    if secure:
        shared.append("Secure")
    return subject, [cookie_header(token, secure), "; ".join(shared)]
