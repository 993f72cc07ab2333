"""Messages written as values or records: chat turns, messaging URIs (`sms:`, `mailto:` with a
body) and the text parameters of messaging links.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: "Communication content (content of messages exchanged within the app, etc.)" is not
collected. Text fields count as messages where something says they are: a key that names a
message (`forbidden/keys.py`), an ancestor or the event's name that names a conversation
or a channel (`chat`, `ticket`, `aps` ... the walk carries it, see `walk.py`), or the record's shape
(a text beside a conversation role). Entries with an author and a text alone may be reviews,
quotes or testimonials, so they are not judged by shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from gateway.policy.forbidden.keys import BODY, CONTENT, REVIEW, SENDER, KeyVerdict
from gateway.policy.forbidden.vocabulary import MESSAGE_CONTENT, SPEAKER_ROLES

Shape = tuple[str, str]  # (category, rule)
Roles = Callable[[str], int]
MESSAGE_RECORD: Shape = (MESSAGE_CONTENT, "value:message_record")
MESSAGE_URI: Shape = (MESSAGE_CONTENT, "value:message_uri")
KEY_CONTEXT = "key_context"  # the rule: a text field under a message thread
IN_THREAD = KeyVerdict(MESSAGE_CONTENT, CONTENT, False, False, rule=KEY_CONTEXT)

# Links that open a conversation: a parameter named like text in them is the message.
MESSAGE_HOSTS = frozenset({
    "wa.me", "api.whatsapp.com", "web.whatsapp.com", "whatsapp.com", "m.me", "t.me",
    "telegram.me", "line.me",
})  # fmt: skip
_ROUTE = re.compile(
    r"[/#](?:chats?|msg|messages?|sms|dms?|conversations?|inbox|talks?|compose|threads?)(?![^/?#])",
    re.IGNORECASE,
)
_BODY_PARAMS = ("body=", "text=")


def message_uri(text: str) -> Shape | None:
    """`sms:+81…?body=…`, `smsto:`, `mms:`, `mailto:…?body=…`: a message ready to send."""
    query_at = text.find("?")
    if query_at < 0:
        return None
    query = text[query_at + 1 :].lower()
    return MESSAGE_URI if any(p in query for p in _BODY_PARAMS) else None


def message_route(url: str, path_end: int) -> bool:
    """A link into a conversation: a messaging host (`wa.me`), or a path or hash route with a
    segment such as `chat`, `msg` or `inbox` (`/#/chat?draft=…`, `line.me/R/msg/text/?…`)."""
    start = url.find("//", 0, 12)
    path_at = 0
    if start >= 0:
        host_end = url.find("/", start + 2, path_end)
        path_at = host_end if host_end >= 0 else path_end
        host = url[start + 2 : path_at].lower()
        if host.removeprefix("www.") in MESSAGE_HOSTS:
            return True
    if _ROUTE.search(url, path_at, path_end) is not None:
        return True
    hash_at = url.find("#")
    if hash_at < 0:
        return False
    route_end = url.find("?", hash_at)
    return _ROUTE.search(url, hash_at, route_end if route_end >= 0 else len(url)) is not None


def free_text(text: str) -> bool:
    """Words someone wrote: spaces between words, or Japanese."""
    text = text.strip()
    return len(text) >= 2 and (" " in text or not text.isascii())


def bare_text(part: str) -> bool:
    """A query part without `=` that is a sentence (`line.me/R/msg/text/?Meet%20me…`)."""
    return "=" not in part and free_text(unquote_plus(part))


def message_record(obj: dict[str, Any], bits: int, roles: Roles) -> bool:
    """One chat turn: a text beside a conversation role (`user`, `assistant`, `agent` …)."""
    return bool(bits & SENDER) and not bits & REVIEW and _speaker(obj, roles)


def _speaker(obj: dict[str, Any], roles: Roles) -> bool:
    for key, value in obj.items():
        if isinstance(value, str) and value.lower() in SPEAKER_ROLES and roles(key) & SENDER:
            return any((roles(k) & BODY or k == "parts") and v for k, v in obj.items())
    return False
