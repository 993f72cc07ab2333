"""Forbidden categories by key name: fold a key to word tokens, then judge its head noun.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: "as a general rule, we will not collect ... GPS location information; personal
information and contact information listed in phone books and address books; communication
content (content of messages exchanged within the app, etc.); photos and videos saved on your
device."

A key names forbidden *content* when its head noun (the last word: English and Japanese
compounds are head-final) is a category noun, or a generic content noun (`body`, `list`,
`data`, 本文, 一覧 ...) modified by one. A qualifier anywhere (`count`, `has`, `id`, `url`,
数, 有無 ...) makes it metadata about the category, which the policy does not restrict; a
neutralising modifier (`error`, `click`, エラー ...) makes it the company's own text or UI data.

A key also plays roles (`roles`): in a record (a person's name, a sender, a text field, an
axis) and for everything under it (a conversation, a message channel, a place). The walk in
`walk.py` reads them to judge records and to carry context.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.policy.forbidden.normalise import fold
from gateway.policy.forbidden.vocabulary import (
    AXIS_NAMES,
    BESIDE_LAT_HEADS,
    BODY_WORDS,
    CATEGORIES,
    CHANNEL_WORDS,
    COMPOUNDS,
    CONTACT_COLUMNS,
    CONTEXT_CLEARERS,
    CONVERSATION_WORDS,
    FLAG_WORDS,
    GENERIC_HEADS,
    HEADS,
    LOCATED_WORDS,
    LOCATION,
    MEDIA,
    MODIFIERS,
    NAME_WORDS,
    NEUTRALIZERS,
    QUALIFIERS,
    REACH_WORDS,
    REVIEW_WORDS,
    SENDER_WORDS,
    STRENGTHENERS,
    SUFFIXES,
    TEXT_WORDS,
    UNITS,
    VOCABULARY,
    WEAK_HEADS,
)

# Verdict actions.
CONTENT = 1  # the value is forbidden data (flags, counts and hosted references excepted)
WEAK = 2  # location-ish (`location`, `geo`): only a geohash value is judged by this key
BESIDE_LAT = 3  # `long`, `alt`: a coordinate only beside a latitude key
KEY_DATA = 4  # the key itself is forbidden data (a coordinate pair used as a key)

KEY_NAME, GEOHASH_RULE = "key_name", "value:geohash"
CACHE_SIZE = 4096
SMALL_INT = 10_000_000  # a larger integer under a content key may be a phone number
MAX_CAPTION = 300  # longest text beside a hosted media URL (alt text, caption)
MAX_NAME = 64  # longest file name or slug that passes as a reference under `image`, `video` ...

# Roles of a key (bits of `KeyClassifier.roles`): in a record, and for everything under it.
TEXT, SENDER, NAME, REACH, CONTACT_COLUMN, REVIEW, METADATA = 1, 2, 4, 8, 16, 32, 64
AXIS_X, AXIS_Y, AXIS_LAT, AXIS_LNG = 128, 256, 512, 1024
AXES = AXIS_X | AXIS_Y | AXIS_LAT | AXIS_LNG
SETS_MESSAGE, CLEARS_MESSAGE, SETS_PLACE, BODY, SETS_CHANNEL = 2048, 4096, 8192, 16384, 32768
# Context bits carried down the walk: in a conversation, under a place, in a message channel.
IN_MESSAGE, IN_PLACE, IN_CHANNEL = 1, 2, 4
_AXIS_BITS = (AXIS_X, AXIS_Y, AXIS_LAT, AXIS_LNG)
# The roles a key plays inside a record (most keys play none); the other bits are its effects
# on what is under it, and METADATA.
RECORD_ROLES = TEXT | SENDER | NAME | REACH | CONTACT_COLUMN | REVIEW | AXES | BODY

_RUNS = re.compile(r"[A-Za-z0-9]+|[^\x00-\x7f]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+\d*|[A-Z]+\d*")
_GEOHASH = re.compile(r"[0-9b-hjkmnp-z]{5,12}")
_PARTICLES = "のとや・、。 　_-"


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    """What a key name says about its value."""

    category: str
    action: int
    numeric: bool  # numbers under the key are coordinates, not counts
    hosted_ok: bool  # an http(s) URL under the key is a reference to hosted media, not media
    rule: str = KEY_NAME
    named: bool = False  # the key is the category's own noun (`image`), not `image_data`


def _verdict(category: str, action: int, named: bool = False) -> KeyVerdict:
    numeric = category == LOCATION and action != WEAK
    return KeyVerdict(category, action, numeric, category == MEDIA, named=named)


MISSING = KeyVerdict("", 0, numeric=False, hosted_ok=False)
# Generic nouns that, like `image` itself, name a reference to media (`image_preview`).
REFERENCE_HEADS = frozenset({"preview"})
# (verdict, roles in a record, effects on what is under the key)
KeyEntry = tuple[KeyVerdict | None, int, int]


class KeyClassifier:
    """Judges key names, English and Japanese; caches the verdict per raw key (bounded)."""

    def __init__(
        self,
        extra_key_names: Mapping[str, Iterable[str]] = {},
        key_data: Callable[[str], KeyVerdict | None] | None = None,
    ) -> None:
        """`key_data` judges a key that is itself data (`shapes.key_data`); every lookup asks
        it first, so a key's cached verdict never depends on which caller saw it first."""
        self._key_data = key_data
        self._heads = dict(HEADS)
        self._vocab = set(VOCABULARY)
        self._exact: dict[tuple[str, ...], str] = {}
        # By raw key; hot loops read it directly and call lookup() on a miss.
        self.cache: dict[str, KeyEntry] = {}
        extra = {c: [_nfkc(n).lower() for n in names] for c, names in extra_key_names.items()}
        unknown = sorted(set(extra) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"extra_key_names: unknown categories {unknown} (known: {CATEGORIES})")
        self._vocab.update(n for names in extra.values() for n in names if " " not in n)
        self._japanese = _alternation(w for w in self._vocab if not w.isascii())
        for category, names in extra.items():
            self._add_extra(category, names)

    def _add_extra(self, category: str, names: Iterable[str]) -> None:
        for name in names:
            tokens = self.tokens(name)
            if len(tokens) == 1:
                self._heads[tokens[0]] = category
            elif tokens:
                self._exact[tuple(tokens)] = category

    def classify(self, key: str) -> KeyVerdict | None:
        """The verdict for `key`, or None when the key says nothing about a category."""
        return self.lookup(key)[0]

    def roles(self, key: str) -> int:
        """All role bits of `key` (TEXT, SENDER, NAME ... METADATA, SETS_MESSAGE ...)."""
        _, record, effects = self.lookup(key)
        return record | effects

    def roles_of(self, keys: Iterable[str]) -> int:
        """The role bits of all these keys (an entry's)."""
        bits = 0
        for key in keys:
            bits |= self.roles(key)
        return bits

    def lookup(self, key: str) -> KeyEntry:
        """`key`'s verdict, its roles in a record and its effects on what is under it,
        cached; the cache is emptied when full (real events reuse few keys)."""
        entry = self.cache.get(key)
        if entry is None:
            tokens = self.tokens(key)
            verdict = self._key_data(key) if self._key_data is not None else None
            if verdict is None:
                verdict = self._judge(tokens)
            bits = self._roles(key, tokens)
            entry = (verdict, bits & RECORD_ROLES, bits & ~RECORD_ROLES)
            if len(self.cache) >= CACHE_SIZE:
                self.cache.clear()
            self.cache[key] = entry
        return entry

    def condemns(self, verdict: KeyVerdict, value: Any, siblings: Iterable[str]) -> str | None:
        """The rule by which `value`, under a key judged `verdict`, is removed: `verdict.rule`
        when the key alone condemns it, GEOHASH_RULE for a geohash under a location-like
        key; None to keep it."""
        action = verdict.action
        if action == BESIDE_LAT:
            if not self._beside_latitude(siblings):
                return None
            action = CONTENT
        if action == KEY_DATA or (
            action == CONTENT
            and not harmless(value, verdict)
            and (verdict.numeric or not self.metadata(value))
        ):
            return verdict.rule
        if action == WEAK and type(value) is str and is_geohash(value):
            return GEOHASH_RULE
        return None

    def metadata(self, value: Any) -> bool:
        """An object that only describes the data (`"message": {"id": .., "type": ..,
        "length": ..}`): every key is a qualifier. Its values are still scanned."""
        return (
            type(value) is dict and bool(value) and all(self.roles(key) & METADATA for key in value)
        )

    def _roles(self, key: str, tokens: list[str]) -> int:
        if not tokens:
            return 0
        joined, lowered = "".join(tokens), key.lower()
        qualified = any(t in QUALIFIERS for t in tokens)
        bits = METADATA if qualified else 0
        if tokens[-1] in TEXT_WORDS and not qualified:
            bits |= TEXT | (BODY if tokens[-1] in BODY_WORDS else 0)
        for words, bit in ((SENDER_WORDS, SENDER), (NAME_WORDS, NAME), (REACH_WORDS, REACH),
                           (REVIEW_WORDS, REVIEW), (CONTACT_COLUMNS, CONTACT_COLUMN)):  # fmt: skip
            if joined in words or lowered in words:
                bits |= bit
        axis = AXIS_NAMES.get(lowered)
        if axis is not None:
            bits |= _AXIS_BITS[axis]
        if qualified or any(t in CONTEXT_CLEARERS for t in tokens):
            bits |= CLEARS_MESSAGE
        elif any(t in CONVERSATION_WORDS for t in tokens):
            bits |= SETS_MESSAGE
        elif any(t in CHANNEL_WORDS for t in tokens):
            bits |= SETS_CHANNEL
        if not qualified and any(t in LOCATED_WORDS or HEADS.get(t) == LOCATION for t in tokens):
            bits |= SETS_PLACE
        return bits

    def _beside_latitude(self, siblings: Iterable[str]) -> bool:
        """`long` and `alt` are coordinates only next to a latitude-like key."""
        for sibling in siblings:
            verdict = self.classify(sibling)
            if verdict is not None and verdict.numeric and verdict.action == CONTENT:
                return True
        return False

    def tokens(self, key: str) -> list[str]:
        """Fold a key to lower-case singular words: `GPS-Latitude` and `gps_latitude` both
        give ["gps", "latitude"], `phonebookEntries` gives ["phonebook", "entry"]."""
        if not key.isascii():
            key = fold(key)  # NFKC, invisible and combining marks out, lookalikes folded
        words: list[str] = []
        for run in _RUNS.findall(key):
            if run.isascii():
                words.extend(self._word(w.lower()) for w in _CAMEL.findall(run))
            else:
                words.extend(self._japanese_words(run))
        return _merge_compounds(words)

    def _word(self, word: str) -> str:
        if word in self._vocab:
            return word
        if word[-1].isdigit():  # "base64" is a word, "photo2" is "photo"
            word = word.rstrip("0123456789")
        for plural, singular in (("ies", "y"), ("es", ""), ("s", "")):
            if word.endswith(plural) and (stem := word[: -len(plural)] + singular) in self._vocab:
                return stem
        for suffix in SUFFIXES:
            if len(word) > len(suffix) and word.rstrip("s").endswith(suffix):
                return suffix
        return word

    def _japanese_words(self, run: str) -> list[str]:
        if self._japanese is None:
            return [run]
        # split() alternates text between words (odd: the vocabulary words themselves, kept
        # whole even when they start with a particle, as やりとり does).
        parts = self._japanese.split(run)
        return [
            p if i % 2 else p.strip(_PARTICLES) for i, p in enumerate(parts) if p.strip(_PARTICLES)
        ]

    def _judge(self, tokens: list[str]) -> KeyVerdict | None:
        if not tokens:
            return None
        exact = self._exact.get(tuple(tokens))
        if exact is not None:
            return _verdict(exact, CONTENT)
        while len(tokens) > 1 and tokens[-1] in UNITS:
            tokens = tokens[:-1]
        head, modifiers = tokens[-1], tokens[:-1]
        found = self._head(head, modifiers)
        if found is None or any(t in QUALIFIERS for t in tokens):
            return None
        if any(m in NEUTRALIZERS for m in modifiers):
            return None
        return _verdict(*found, named=head in self._heads or head in REFERENCE_HEADS)

    def _head(self, head: str, modifiers: list[str]) -> tuple[str, int] | None:
        category = self._heads.get(head)
        if category is not None:
            return category, CONTENT
        if head in BESIDE_LAT_HEADS:
            return LOCATION, BESIDE_LAT
        if head in WEAK_HEADS:
            strong = any(m in STRENGTHENERS or self._heads.get(m) == LOCATION for m in modifiers)
            return LOCATION, CONTENT if strong else WEAK
        if head in GENERIC_HEADS:
            return self._modifier_category(modifiers)
        return None

    def _modifier_category(self, modifiers: list[str]) -> tuple[str, int] | None:
        for word in reversed(modifiers):
            category = self._heads.get(word) or MODIFIERS.get(word)
            if category is None and word in WEAK_HEADS:
                category = LOCATION
            if category is not None:
                return category, CONTENT
        return None


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(words), key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("(" + "|".join(map(re.escape, ordered)) + ")")


def _merge_compounds(words: list[str]) -> list[str]:
    merged: list[str] = []
    for word in words:
        if merged and (joined := COMPOUNDS.get((merged[-1], word))) is not None:
            merged[-1] = joined
        else:
            merged.append(word)
    return merged


def harmless(value: Any, verdict: KeyVerdict) -> bool:
    """Values a category key may hold without holding the category's data: flags and counts
    (`"photos": 3`, `"contacts": "denied"`), nothing (None, "", [], {}), and for media a
    reference to hosted content (`"image": "https://cdn.example/p.jpg"`, or a list of
    `{"url": ..., "alt": ...}`), which is then scanned like any other value. Under
    coordinate keys (`lat`, `gps`) numbers are never harmless."""
    kind = type(value)
    if value is None or kind is bool:
        return True
    if kind is int or kind is float:
        return not verdict.numeric and (kind is float or -SMALL_INT < value < SMALL_INT)
    if kind is str:
        if not value:
            return True
        if verdict.numeric:
            return False
        if len(value) <= 16 and (value.isdigit() or value.lower() in FLAG_WORDS):
            return len(value) <= 6 or not value.isdigit()
        if verdict.named and verdict.hosted_ok and reference_name(value):
            return True
    elif not value:
        return kind is list or kind is dict
    return verdict.hosted_ok and hosted(value)


# A file name or slug (`spring_banner.jpg`, `math-3-unit2-intro`) ...
_NAME = re.compile(r"[\w.-]{0,58}\.[A-Za-z0-9]{2,5}|[^\W_]+(?:[-_.][^\W_]+)+")
# ... unless a camera named it: DCF names (`IMG_0001`, `DSC01234`), phones' date-stamped ones.
_CAMERA_NAME = re.compile(
    r"(?:[A-Za-z0-9_]{4}\d{4}|(?:img|vid|pxl|mvimg|dsc[nf]?|pano|burst|screenshot|screen[ _-]?shot"
    r"|screen[ _-]?recording|rpreplay)[ _-]?\w|(?:photo|video|movie|pict?)[ _-]?\d{4})"
    r"[\w .~()-]*\.(?:jpe?g|png|heic|heif|gif|webp|dng|tiff?|mov|mp4|m4v|3gp|avi|mkv|webm)",
    re.IGNORECASE,
)


def reference_name(value: str) -> bool:
    """A name of hosted media or a caption, not the media: no photo fits in 64 characters
    (`spring_banner.jpg`, `math-3-unit2-intro`, "Photo by Taro"). Names cameras give files
    on the device (`IMG_0001.HEIC`) stay forbidden; paths are judged as paths."""
    if len(value) > MAX_NAME or _CAMERA_NAME.fullmatch(value) is not None:
        return False
    if " " in value:
        return "/" not in value and "\\" not in value
    return _NAME.fullmatch(value) is not None


def hosted(value: Any) -> bool:
    """A reference to media on a web server: a URL or site path, an object holding one among
    short scalars (`{"url": ..., "alt": "Red shoes", "width": 800}`), or a list of those.
    A photo's bytes are never short, so they do not pass as an `alt` text."""
    kind = type(value)
    if kind is str:
        return _is_reference(value)
    if kind is list:
        return all(hosted(item) for item in value)
    if kind is not dict or not value:
        return False
    fields = value.values()
    return any(_is_reference(f) for f in fields) and all(_is_short_scalar(f) for f in fields)


def _is_reference(value: Any) -> bool:
    return type(value) is str and value[:8].lower().startswith(("http://", "https://", "/"))


def _is_short_scalar(value: Any) -> bool:
    return (
        value is None
        or type(value) in (bool, int, float)
        or (type(value) is str and len(value) <= MAX_CAPTION)
    )


def is_geohash(text: str) -> bool:
    """A geohash cell; judged only under location-like keys (`location`, `geo`), because
    short lower-case words elsewhere look alike. Requires a digit and a letter."""
    return (
        _GEOHASH.fullmatch(text) is not None
        and not text.isdigit()
        and any(c.isdigit() for c in text)
    )
