"""Messages as messaging platforms and their APIs carry them.

Privacy policy, 1.: "communication content (content of messages exchanged within the app,
etc.)" is not collected. A message is natural-language text beside a sender, a recipient or a
conversation, whatever the platform calls them: Slack (`user`, `channel`, `text`), Telegram
(`from`, `chat`, `text`), WhatsApp Cloud (`from`, `text.body`), Discord (`author`,
`channel_id`, `content`), Twilio (`From`, `To`, `Body`), Matrix (`sender`, `room_id`,
`content.body`), Messenger (`sender`, `recipient`, `message.text`), a chat history (turns with
a role), and text that carries one: MIME mail (headers, blank line, body), IRC `PRIVMSG`,
and `key=value` dumps of a platform's message rows.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from gateway.policy.forbidden.normalise import fold, key_words

TEXT_KEYS = frozenset(
    {"text", "body", "content", "message", "msg", "plaintext", "caption", "snippet"}
)
# Words of a key that names a party to a message (`from`, `FromUserName`, `chat_identifier`,
# `handle_id`, `toRecipients` …).
PARTY_WORDS = frozenset({
    "from", "to", "sender", "recipient", "recipients", "author", "user", "chat", "channel",
    "room", "conversation", "thread", "peer", "address", "handle", "replyto", "cc", "bcc",
    "participant", "participants", "messages", "interlocutor", "contact", "buddy", "friend",
})  # fmt: skip
TURN_KEYS = frozenset({"role", "from", "sender", "author", "speaker", "who", "user", "direction"})
_WORD = re.compile(r"[^\W\d_]{2,}", re.ASCII)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", re.ASCII)
_MIME_HEADER = re.compile(r"^(?:from|to|subject|date|cc|message-id):", re.I | re.M | re.ASCII)
_IRC = re.compile(r"^:\S+ (?:PRIVMSG|NOTICE) \S+ :.", re.M | re.ASCII)
_PAIRS = re.compile(r"(?:^|[,;&\s])([A-Za-z_][\w.]{0,30})\s*[=:]\s*", re.ASCII)


def natural(text: Any) -> bool:
    """Prose a person wrote: three words, or six CJK characters."""
    if type(text) is not str or len(text) < 8:
        return False
    return len(_CJK.findall(text[:200])) >= 6 or len(_WORD.findall(text[:400])) >= 3


@lru_cache(maxsize=4096)
def _folded(key: str) -> str:
    """Letters and digits of the key's last dotted part (`android.text` is `text`)."""
    return "".join(c for c in fold(key).lower().rpartition(".")[2] if c.isalnum())


def text_key(key: str) -> bool:
    """A key a message's text stands under (`text`, `Body`, `android.text` …)."""
    return _folded(key) in TEXT_KEYS


def title_key(key: str) -> bool:
    return key == "android.title"


def _text_of(value: Any) -> bool:
    if natural(value):
        return True
    if type(value) is dict:  # `text: {body: …}` (WhatsApp), `message: {text: …}` (Messenger)
        return any(_folded(k) in TEXT_KEYS and natural(v) for k, v in value.items())
    return False


def _names_party(key: str) -> bool:
    return not PARTY_WORDS.isdisjoint(key_words(key))


def _identifies(value: Any) -> bool:
    """A party as platforms write one: an ID, handle, number or address (no spaces), or an
    object/list of them. A display name ("Parent A" under a testimonial) is not one."""
    kind = type(value)
    if kind is str:
        return 0 < len(value) <= 200 and " " not in value.strip()
    if kind is int:
        return True
    return (kind is dict or kind is list) and bool(value)


def platform_message(record: dict[str, Any]) -> str | None:
    """Text beside a party: the record is a message."""
    text = party = False
    for key, value in record.items():
        name = _folded(key)
        if name in TEXT_KEYS and _text_of(value):
            text = True
        elif _names_party(key) and _identifies(value):
            party = True
    return "text_with_party" if text and party else None


def notification(record: dict[str, Any]) -> str | None:
    """Android's Notification extras as a listener reads them: `android.title` (the sender,
    for a messaging app) beside prose in `android.text` / `android.bigText`."""
    if "android.title" not in record:
        return None
    for key in ("android.text", "android.bigText", "android.subText"):
        if natural(record.get(key)):
            return "notification_text"
    return None


def conversation(items: list[Any]) -> str | None:
    """Two or more turns, each prose beside who said it (a chat history)."""
    turns = 0
    for item in items[:100]:
        if type(item) is not dict:
            continue
        if any(_folded(k) in TURN_KEYS for k in item) and any(map(natural, item.values())):
            turns += 1
    return "conversation_turns" if turns >= 2 else None


def text_prefilter(text: str) -> bool:
    return len(text) >= 16 and (":" in text or "=" in text) and not _is_link(text)


def _is_link(text: str) -> bool:
    """URLs and queries are judged parameter by parameter, not as message text."""
    return text[0] == "?" or text[:8].lower().startswith(("http://", "https://"))


def message_text(text: str) -> str | None:
    """A message written out as text: MIME mail, an IRC line, or `key=value` pairs that make
    a platform message (an SMS row: `address=…, body=…`)."""
    if len(text) < 16 or _is_link(text):
        return None
    if _MIME_HEADER.search(text) and ("\n\n" in text or "\r\n\r\n" in text):
        head, _, body = text.replace("\r\n", "\n").partition("\n\n")
        if len(_MIME_HEADER.findall(head)) >= 2 and natural(body):
            return "mime_mail"
    if _IRC.search(text):
        return "irc_line"
    record = pairs(text)
    if record and platform_message(record) is not None:
        return "message_dump"
    return None


def pairs(text: str) -> dict[str, str]:
    """`k=v, k=v` or `k: v` text as a dict (values run to the next key)."""
    marks = list(_PAIRS.finditer(text[:4000]))
    if len(marks) < 2:
        return {}
    out: dict[str, str] = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following is not None else len(text)
        out[mark.group(1)] = text[mark.end() : end].strip(" ,;")
    return out
