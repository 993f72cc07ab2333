"""Normalise once, before matching: NFKC, format characters (Cf: zero-width spaces, soft
hyphens, bidi marks) and Latin combining marks (Mn) removed, Cyrillic and Greek lookalikes
folded to Latin. Keys disguised as `lat\u200bitude`, `lаtitude` (Cyrillic а) or
`me\u0301ssage` then read as the words they imitate; paths are reported as written."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Cyrillic and Greek letters drawn like Latin ones (Unicode confusables, the common subset).
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝАВЕКМНОРСТХІЈЅαβεικνοτυχρΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlqwABEKMHOPCTXIJSabeikvotuxpABEZHIKMNOPTYX",
)
_KANA_MARKS = frozenset("\u3099\u309a")  # dakuten and handakuten stay (が is か + ゛)


def fold(text: str) -> str:
    """`text` as the word it imitates; ASCII text comes back unchanged."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(
        c for c in decomposed if c in _KANA_MARKS or unicodedata.category(c) not in ("Cf", "Mn")
    )
    return unicodedata.normalize("NFKC", kept).translate(_LOOKALIKES)


_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+|[^\W\d_]+")


@lru_cache(maxsize=4096)
def key_words(key: str | int) -> frozenset[str]:
    """The lower-case words of a key, normalised (`storeArea`, `store_area` → store, area;
    `FromUserName` → from, user, name)."""
    if type(key) is int:
        return frozenset()
    return frozenset(w.lower() for w in _WORDS.findall(fold(str(key))))
