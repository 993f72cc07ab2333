"""Strings no string judge can condemn, told apart by one regex match.

Most strings in an event are a few words (an event or product name), a short ID, a UUID or a
timestamp. The walk skips both string judges for them: the key-and-shape scan's
(`texts.TextScanner.text`) and the recognisers' (`sweep.Sweeper.string`, IP addresses
included). Keys are judged as before, and dicts and lists as wholes. A prefilter is used only
when proven a superset of the judges it guards: `tests/policy/forbidden/test_plain.py`
checks, for strings drawn from this pattern under any key (hint words included), that
neither judge removes or rewrites one.
"""

from __future__ import annotations

import re

from gateway.policy.forbidden.registry import STRINGS

# Words of at most 11 letters: 12 or more letters (or `_`) in a row may be an encoded polyline.
_WORDS = r"[A-Za-z]{1,11}(?:[ -][A-Za-z]{1,11}){0,3}"
_SNAKE = r"(?=[A-Za-z_]{1,11}\Z)[A-Za-z]+(?:_[A-Za-z]+)+"  # spring_sale
_SHORT_ID = r"[A-Za-z]{0,8}[_-]?\d{1,8}"  # user_993, p61768, ACC-7994
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})"
PLAIN = re.compile(f"{_WORDS}|{_SNAKE}|{_SHORT_ID}|{_UUID}|{_TIMESTAMP}", re.ASCII)
# Shapes judged only under a key that hints at them (a geohash is a plausible word).
_HINTED = tuple(recogniser.prefilter for recogniser in STRINGS if recogniser.hints)


def unjudged(text: str) -> bool:
    """True when no string judge can condemn `text`, whatever its key."""
    if PLAIN.fullmatch(text) is None:
        return False
    return not any(hinted(text) for hinted in _HINTED)
