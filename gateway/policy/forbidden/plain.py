"""Strings no string judge can condemn, told apart by one regex match.

Most strings in an event are a few words (an event or product name), a short ID, a UUID, a
timestamp, a browser's user agent, a library's name and version or a link to a page. The walk
skips both string judges for them: the key-and-shape scan's (`texts.TextScanner.text`) and
the recognisers' (`sweep.Sweeper.string`, IP addresses included). Keys are judged as before,
and dicts and lists as wholes. A prefilter is used only when proven a superset of the judges
it guards: `tests/policy/forbidden/test_plain.py` checks, for strings drawn from this
pattern under any key (hint words included), that neither judge removes or rewrites one.
"""

from __future__ import annotations

import re

from gateway.policy.forbidden.registry import STRINGS

# Words of at most 11 letters: 12 or more letters (or `_`) in a row may be an encoded polyline.
_WORDS = r"[A-Za-z]{1,11}+(?:[ -][A-Za-z]{1,11}+){0,3}"
_SNAKE = r"(?=[A-Za-z_]{1,11}\Z)[A-Za-z]+(?:_[A-Za-z]+)+"  # spring_sale
_SHORT_ID = r"[A-Za-z]{0,8}[_-]?\d{1,8}"  # user_993, p61768, ACC-7994
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})"
# A user agent: product tokens (`AppleWebKit/605.1.15`, `Mobile/15E148`) and comments
# (`(iPhone; CPU iPhone OS 17_5 like Mac OS X)`, `(KHTML, like Gecko)`). Names of at most 11
# letters (no polyline); a version holds at most 7 digits and never follows another, so no
# run of digits is long enough for a phone number, and no decimal has the places a
# coordinate needs; no `@ : = % \\`, so no email, URL, encoding or escape.
_NAME = r"[A-Za-z]{1,11}+"  # possessive: a name is never followed by a letter, so no backtracking
_VERSION = r"(?:\d{1,3}(?:[._]\d{1,2}){0,2}|\d{1,3}\.0\.0\.0)"
_PRODUCT = f"{_NAME}(?:/(?:{_VERSION}|[0-9A-Z]{{1,8}}))?"
_TERM = f"(?:{_NAME}\\d{{0,3}}|{_VERSION}(?! \\d))"  # Win64, x64, 17_5
_ITEM = f"{_TERM}(?:,? {_TERM}){{0,7}}"
_AGENT = f"{_PRODUCT}(?: (?:{_PRODUCT}|\\({_ITEM}(?:; {_ITEM}){{0,7}}\\)))*"
# A dotted or slashed name with at most one version, last: analytics.js, Europe/Berlin,
# next-1.64.0 (a version after a name: no IP address, no run of digits).
_DOTTED = f"{_NAME}(?:[./]{_NAME}){{0,3}}(?:[-./]{_VERSION})?"
# A link to a page: host names that start with a letter (no IP address), path segments of
# words (no number, no query, no fragment).
_HOST = r"[a-z][a-z0-9]{0,19}(?:[.-][a-z][a-z0-9]{0,19}){0,4}"
_LINK = f"https?://{_HOST}(?:/{_NAME}(?:-{_NAME}){{0,3}}){{0,6}}/?"
_NOT_LINKS = f"{_WORDS}|{_SNAKE}|{_SHORT_ID}|{_UUID}|{_TIMESTAMP}|{_AGENT}|{_DOTTED}"
PLAIN = re.compile(f"{_NOT_LINKS}|{_LINK}", re.ASCII)  # all the gate admits
_NOT_LINK = re.compile(_NOT_LINKS, re.ASCII)
_A_LINK = re.compile(_LINK, re.ASCII)
# Shapes judged only under a key that hints at them (a geohash is a plausible word).
_HINTED = tuple(recogniser.prefilter for recogniser in STRINGS if recogniser.hints)


def unjudged(text: str) -> bool:
    """True when no string judge can condemn `text`, whatever its key."""
    if not text.isascii():
        return False
    if text[:4] == "http":  # a link is matched alone: failing the others costs too much
        if "?" in text or _A_LINK.fullmatch(text) is None:
            return False
    elif _NOT_LINK.fullmatch(text) is None:
        return False
    return not any(hinted(text) for hinted in _HINTED)
