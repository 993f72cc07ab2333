"""Contacts wherever they stand: two or more people's contact points together.

Privacy policy, 1.: "personal information and contact information listed in phone books and
address books" is not collected. One email or phone number is the customer's own (traits);
two or more distinct ones in one value, one record list or one map are someone's address
book, whatever the keys are called: person records under any keys, maps keyed by phone
numbers or emails, short exports (`A <a@x>, B <b@y>`), CSV/NDJSON/LDIF text, and the text
dumps of Android's ContactsContract rows and iOS's CNContact objects. Phone numbers are
recognised with libphonenumber (`phonenumbers`), valid for their region (JP by default).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import phonenumbers

REGION = "JP"
MIN_PHONE_DIGITS = 8  # a contact point's phone number has at least this many digits
MAX_PHONE_DIGITS = 15  # E.164
MAX_TEXT = 20_000
# A store's free-dial or premium line is the company's, not an address-book entry.
BUSINESS_TYPES = frozenset({
    phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST, phonenumbers.PhoneNumberType.UAN,
})  # fmt: skip
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+", re.ASCII)
# What libphonenumber is asked about: a run of digits with the separators numbers are
# written with. The judge reads only these, so counting them is a sound prefilter.
PHONE_CANDIDATE = re.compile(
    r"(?<![\w.\-])\+?\(?\d(?:[\s().\-]{0,2}\d){7,14}(?![\w.\-])", re.ASCII
)  # 8 to 15 digits, one or two separators between; not a run inside an ID (`…-9841-8117…`)
_BLOCKS = re.compile(r"\r?\n[ \t]*\r?\n")  # LDIF entries, vCards, mail blocks
_SEGMENTS = re.compile(r"[\n\r;|]+|>\s*,|\)\s*,")
_FIELDS = re.compile(r"[,;:=<>\"'{}()\[\]\t|]+")
_NAME_LATIN = re.compile(r"[A-Z][a-z\u00c0-\u024f'.-]+(?: [A-Z][a-z\u00c0-\u024f'.-]+){0,3}")
_CJK = "[\u3040-\u30ff\u3400-\u9fff]"
_NAME_CJK = re.compile(f"{_CJK}{{1,4}}[ \u3000]?{_CJK}{{1,4}}")
BUSINESS_ENDINGS = (
    "店", "支店", "本店", "営業所", "本社", "事務所", "センター", "窓口", "係", "部", "課",
    "株式会社",
    "Store", "Shop", "Branch", "Office", "Center", "Centre", "Desk", "Support", "Inc", "Ltd",
    "Co", "Team", "Service", "Services", "Hotline", "Info",
)  # fmt: skip
NOT_NAMES = frozenset({
    "店舗", "電話", "電話番号", "番号", "名前", "氏名", "メール", "住所", "携帯", "連絡先", "名称",
    "Name", "Phone", "Email", "Mail", "Tel", "Mobile", "Home", "Work", "Row", "Call", "Fax",
})  # fmt: skip
_DIGIT_RUN = re.compile(r"\d", re.ASCII)
_PHONE_CHARS = re.compile(r"(?:tel:)?[+\d\s().\-/]+", re.ASCII)  # no letters: no vanity numbers


def digit_count(text: str) -> int:
    return sum(map(text.count, "0123456789"))


def points_prefilter(text: str) -> bool:
    """True of every text holding two contact points: each email has an `@`, each phone
    number is a PHONE_CANDIDATE (the only runs `contact_points` asks libphonenumber about)."""
    if len(text) < 12 or len(text) > MAX_TEXT:
        return False
    ats = text.count("@")
    if ats >= 2:
        return True
    if digit_count(text) < MIN_PHONE_DIGITS * (2 - ats):
        return False
    first = PHONE_CANDIDATE.search(text, 0, 4000)
    if first is None:
        return False
    return ats == 1 or PHONE_CANDIDATE.search(text, first.end(), 4000) is not None


def contact_points(text: str, limit: int = 2) -> set[str]:
    """Distinct emails and valid phone numbers (E.164) in `text`, up to `limit`."""
    found = {m.group(0).lower() for m in _EMAIL.finditer(text)}
    if len(found) >= limit or digit_count(text) < MIN_PHONE_DIGITS:
        return found
    for match in PHONE_CANDIDATE.finditer(text, 0, 4000):
        number = _personal_number(match.group(0))
        if number is not None:
            found.add(number)
            if len(found) >= limit:
                break
    return found


def _personal_number(text: str) -> str | None:
    """`text` as an E.164 number when it is a valid personal one (not free-dial/premium)."""
    if not MIN_PHONE_DIGITS <= digit_count(text) <= MAX_PHONE_DIGITS:
        return None
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) in BUSINESS_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def person_name(text: Any) -> bool:
    """A value that reads as a person's name: one to four capitalised words, or a CJK family
    and given name; not a store's or a department's (`渋谷店`, `Support Desk`)."""
    if type(text) is not str or not 2 <= len(text) <= 40:
        return False
    text = text.strip()
    if text in NOT_NAMES or text.endswith(BUSINESS_ENDINGS):
        return False
    return bool(_NAME_LATIN.fullmatch(text) or _NAME_CJK.fullmatch(text))


@lru_cache(maxsize=4096)
def is_contact_point(text: str) -> bool:
    """`text` is one email address or one phone number, nothing else."""
    if len(text) > 320:
        return False
    if "@" in text:
        return _EMAIL.fullmatch(text.strip()) is not None
    if digit_count(text) < MIN_PHONE_DIGITS or len(text) > 32 or not _PHONE_CHARS.fullmatch(text):
        return False
    return _personal_number(text) is not None


def text_book(text: str) -> str | None:
    """Text that holds two or more people's records: segments (lines, blocks, `;`-separated
    rows, `Name <address>` items) each with a person's name and a contact point, the points
    distinct. "Call 03-1234-5678 or 03-2345-6789" names nobody and passes."""
    if len(contact_points(text)) < 2:
        return None
    points: set[str] = set()
    people = 0
    blocks = _BLOCKS.split(text[:MAX_TEXT])
    for segment in blocks if len(blocks) >= 2 else _SEGMENTS.split(text[:MAX_TEXT]):
        found = contact_points(segment, 1)
        if found and any(person_name(f) for f in _FIELDS.split(segment)):
            people += 1
            points |= found
    return "people_in_text" if people >= 2 and len(points) >= 2 else None


def point_key(key: str) -> bool:
    """A key that may be a contact point: an email, or a number (`+81…`, `090…`, `tel:`)."""
    return "@" in key or key[:1] in "+(0123456789" or key.startswith("tel:")


def keyed_book(record: dict[str, Any]) -> str | None:
    """A map keyed by two or more contact points (`{"+8190…": "Hanako", …}`)."""
    if len(record) < 2:
        return None
    hits = 0
    for key in record:
        if len(key) >= 6 and ("@" in key or _DIGIT_RUN.search(key)) and is_contact_point(key):
            hits += 1
            if hits >= 2:
                return "keyed_by_contact_points"
    return None


def record_book(items: list[Any]) -> str | None:
    """Two or more records that each carry a person's name and a contact point, under
    whatever keys: people with a way to reach them. A store list (`六本木店`) names nobody."""
    if len(items) < 2:
        return None
    points: set[str] = set()
    holders = 0
    for item in items[:200]:
        if type(item) is not dict or _segment_call(item):
            continue
        found = _points_in(item, 0)
        if found and _names_someone(item, 0):
            holders += 1
            points |= found
    return "records_with_contact_points" if holders >= 2 and len(points) >= 2 else None


_POINT_STARTS = frozenset("+(0123456789t ")  # how a phone number's text can open


SEGMENT_CALLS = frozenset({"identify", "track", "page", "screen", "group", "alias"})


def _segment_call(item: dict[str, Any]) -> bool:
    """A call in a Segment batch: each customer's own event, judged on its own (the edge
    splits batches before the policy)."""
    return item.get("type") in SEGMENT_CALLS and ("userId" in item or "anonymousId" in item)


def _names_someone(value: Any, depth: int) -> bool:
    if depth > 4:
        return False
    kind = type(value)
    if kind is str:
        return person_name(value)
    if kind is dict:
        return any(_names_someone(v, depth + 1) for v in value.values())
    if kind is list:
        return any(_names_someone(v, depth + 1) for v in value[:20])
    return False


def _points_in(value: Any, depth: int) -> set[str]:
    """The contact points among the strings under `value` (4 levels, 20 items a list)."""
    out: set[str] = set()
    values = value.values() if type(value) is dict else value[:20]
    for item in values:
        kind = type(item)
        if kind is str:
            if (
                len(item) >= 6
                and ("@" in item or item[:1] in _POINT_STARTS)
                and is_contact_point(item)
            ):
                out.add(item.strip().lower())
        elif (kind is dict or kind is list) and depth < 4:
            out |= _points_in(item, depth + 1)
    return out
