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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

LOCATION, CONTACTS, MESSAGE_CONTENT, MEDIA = "location", "contacts", "message_content", "media"
CATEGORIES = (LOCATION, CONTACTS, MESSAGE_CONTENT, MEDIA)

# Verdict actions.
CONTENT = 1  # the value is forbidden data (flags, counts and hosted references excepted)
WEAK = 2  # location-ish (`location`, `geo`): only a geohash value is judged by this key
BESIDE_LAT = 3  # `long`, `alt`: a coordinate only beside a latitude key
KEY_DATA = 4  # the key itself is forbidden data (a coordinate pair used as a key)

KEY_NAME, GEOHASH_RULE = "key_name", "value:geohash"
CACHE_SIZE = 4096
SMALL_INT = 10_000_000  # a larger integer under a content key may be a phone number
MAX_CAPTION = 300  # longest text beside a hosted media URL (alt text, caption)
# Permission states and booleans: `"photos": "denied"` says nothing about any photo.
FLAG_WORDS = frozenset({
    "true", "false", "yes", "no", "on", "off", "null", "none", "undefined", "granted", "denied",
    "authorized", "restricted", "limited", "notdetermined", "not_determined", "always",
    "wheninuse", "when_in_use", "enabled", "disabled", "prompt", "unknown", "undetermined",
    "blocked", "allowed",
})  # fmt: skip


def _words(category: str, text: str) -> dict[str, str]:
    return dict.fromkeys(text.split(), category)


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


HEADS: dict[str, str] = {
    **_words(LOCATION, "lat latitude lng lon longitude latlng lnglat coord coordinate "
             "geolocation geoloc gps gnss geohash geopoint altitude "
             "緯度 経度 座標 位置情報 現在地 現在位置 位置座標 標高"),
    **_words(CONTACTS, "contact addressbook phonebook vcard vcf "
             "住所録 アドレス帳 電話帳 連絡先 コンタクト"),
    **_words(MESSAGE_CONTENT, "message msg chat sms mms dm imessage conversation inbox "
             "メッセージ 本文 チャット トーク ショートメッセージ ショートメール "
             "ダイレクトメッセージ 会話 受信箱"),
    **_words(MEDIA, "photo image picture pic img video selfie screenshot attachment "
             "thumbnail cameraroll 写真 画像 動画 添付 添付ファイル 映像 ビデオ フォト ピクチャ "
             "カメラロール スクリーンショット スクショ 写メ サムネイル"),
}  # fmt: skip
MODIFIERS: dict[str, str] = {
    **_words(MESSAGE_CONTENT, "email mail reply thread メール 返信"),
    **_words(MEDIA, "media camera gallery カメラ ギャラリー アルバム"),
}
BESIDE_LAT_HEADS = frozenset({"long", "alt"})
WEAK_HEADS = _set("location geo loc position place 位置 場所 所在地 ロケーション")
STRENGTHENERS = _set(
    "gps gnss current precise exact device user live last latest realtime fine raw geo "
    "現在 端末 正確"
)
# Units and encodings written after a coordinate word (`latitudeE7`, `lat_deg`): not heads.
UNITS = _set("e5 e6 e7 deg degree rad radian dd dms decimal wgs84 microdegree")
GENERIC_HEADS = _set(
    "clip list data info information entry item array set collection body text content payload "
    "detail record file blob raw value base64 b64 bytes byte binary html snippet history log "
    "transcript dump export backup archive library roll thread "
    "一覧 リスト データ 情報 内容 ファイル 履歴 ログ テキスト 詳細 全文"
)
QUALIFIERS = _set(
    "count cnt num number no nb total qty quantity amount has is was are can should did will "
    "enabled disabled enable disable allowed allow permission granted denied authorized "
    "authorization consent opt optin optout submitted submit id uuid guid key hash checksum "
    "type kind category mime mimetype format extension ext duration size length len width "
    "height resolution dimension bitrate quality status state flag mode setting preference "
    "version at time timestamp date ts index idx limit max min quota rate ratio percent score "
    "accuracy precision source provider service url uri link href src path "
    "数 件数 枚数 個数 回数 人数 総数 件 有無 あり 有り なし 無し フラグ 番号 種類 種別 "
    "タイプ 形式 サイズ 容量 長さ 時間 日時 日付 時刻 許可 同意 状態 設定 可否 精度 パス リンク"
)
NEUTRALIZERS = _set(
    "error err warning warn validation system exception success failure fail toast banner "
    "alert flash log debug commit welcome prompt placeholder template notification push "
    "campaign marketing promo promotion ad ads click mouse pointer scroll touch tap viewport "
    "pixel cursor element social og "
    "エラー システム 通知 お知らせ 警告 広告 確認 完了 案内 注意"
)
COMPOUNDS: dict[tuple[str, str], str] = {
    ("address", "book"): "addressbook", ("phone", "book"): "phonebook",
    ("contact", "book"): "addressbook", ("camera", "roll"): "cameraroll", ("e", "mail"): "email",
    ("lat", "lng"): "latlng", ("lat", "lon"): "latlng", ("lat", "long"): "latlng",
    ("lng", "lat"): "lnglat", ("lon", "lat"): "lnglat", ("long", "lat"): "lnglat",
    ("geo", "hash"): "geohash", ("geo", "point"): "geopoint", ("geo", "loc"): "geoloc",
}  # fmt: skip
VOCABULARY = frozenset(
    {*HEADS, *MODIFIERS, *BESIDE_LAT_HEADS, *WEAK_HEADS, *STRENGTHENERS, *GENERIC_HEADS, *UNITS}
    | QUALIFIERS
    | NEUTRALIZERS
    | {word for pair in COMPOUNDS for word in pair}
)
# Joined lower-case words ("gpslatitude") end in these long nouns often enough to check.
SUFFIXES = ("latitude", "longitude", "geolocation", "phonebook", "addressbook", "coordinate",
            "attachment", "message", "contact")  # fmt: skip

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


def _verdict(category: str, action: int) -> KeyVerdict:
    numeric = category == LOCATION and action != WEAK
    return KeyVerdict(category, action, numeric, hosted_ok=category == MEDIA)


class KeyClassifier:
    """Judges key names, English and Japanese; caches the verdict per raw key (bounded)."""

    def __init__(self, extra_key_names: Mapping[str, Iterable[str]] = {}) -> None:
        self._heads = dict(HEADS)
        self._vocab = set(VOCABULARY)
        self._exact: dict[tuple[str, ...], str] = {}
        # Verdicts by raw key; hot loops read it directly and call classify() on a miss.
        self.cache: dict[str, KeyVerdict | None] = {}
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
        verdict = self.cache.get(key, MISSING)
        if verdict is MISSING:
            verdict = self._judge(self.tokens(key))
            self.remember(key, verdict)
        return verdict

    def remember(self, key: str, verdict: KeyVerdict | None) -> None:
        """Cache a verdict; the cache is emptied when full (real events reuse few keys)."""
        if len(self.cache) >= CACHE_SIZE:
            self.cache.clear()
        self.cache[key] = verdict

    def condemns(self, verdict: KeyVerdict, value: Any, siblings: Iterable[str]) -> str | None:
        """The rule by which `value`, under a key judged `verdict`, is removed: `verdict.rule`
        when the key alone condemns it, GEOHASH_RULE for a geohash under a location-like
        key; None to keep it."""
        action = verdict.action
        if action == BESIDE_LAT:
            if not self._beside_latitude(siblings):
                return None
            action = CONTENT
        if action == KEY_DATA or (action == CONTENT and not harmless(value, verdict)):
            return verdict.rule
        if action == WEAK and type(value) is str and is_geohash(value):
            return GEOHASH_RULE
        return None

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
            key = _nfkc(key)
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
        parts = (p.strip(_PARTICLES) for p in self._japanese.split(run))
        return [p for p in parts if p]

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
        return _verdict(*found)

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


MISSING = KeyVerdict("", 0, numeric=False, hosted_ok=False)


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
    elif not value:
        return kind is list or kind is dict
    return verdict.hosted_ok and hosted(value)


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
