"""Address-book data written as values: vCards (and xCard/jCard), lists of people with a way to
reach them, lists of phone numbers or email addresses, and a contact picked from the phone's
address book.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: "Personal information and contact information listed in phone books and address books"
is not collected. The customer's own name, email and phone (`identify` traits) are not an address
book: an entry counts only among others (two or more people, three or more numbers) or when it
carries the markers of the phone's contacts database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from gateway.policy.forbidden.keys import CONTACT_COLUMN, NAME, REACH
from gateway.policy.forbidden.vocabulary import CONTACTS

Shape = tuple[str, str]  # (category, rule)
VCARD: Shape = (CONTACTS, "value:vcard")
CONTACT_LIST: Shape = (CONTACTS, "value:contact_list")
CONTACT_RECORD: Shape = (CONTACTS, "value:contact_record")
MAX_ENTRIES = 20  # entries of a list looked at
MAX_SCALARS = 48  # values of one entry looked at

_PHONE = re.compile(r"\+?[\d\s().\-]{9,24}")
_EMAIL = re.compile(r"[^@\s<>,;]{1,64}@[^@\s<>,;]{1,255}\.[a-zA-Z]{2,24}")
_NAME_ADDR = re.compile(r"[^<>@]{0,100}<([^<>\s]+@[^<>\s]+)>")  # "Taro Yamada <taro@example.jp>"
_SPLIT = re.compile(r"[,;\n]")
_FIELDS = re.compile(r"[,;\t|]")
_ID = re.compile(r"\d")
# Numbers a company publishes (free dial, navi dial, US toll-free), not a friend's.
_TOLL_FREE = ("0120", "0800", "0570", "0180", "0990", "81120", "81800", "81570", "1800", "1888",
              "1877", "1866", "1855", "1844", "1833")  # fmt: skip
_DEVICE_MARKERS = ("_$!<", ":ABPerson", "vnd.android.cursor.item/")


# A vCard or MECARD written as base64 (a contact uploaded as a blob): the encodings of
# "BEGIN:VCARD", "begin:vcard", "MECARD:" and "mecard:", exact to the last character.
B64_CARDS = ("QkVHSU46VkNBUkQ", "YmVnaW46dmNhcmQ", "TUVDQVJEOg", "bWVjYXJkOg")


def vcard(text: str) -> Shape | None:
    """A vCard or MECARD, also after a byte-order mark or a label, and an xCard."""
    head = text[:11].upper()
    if head == "BEGIN:VCARD" or head.startswith("MECARD:"):
        return VCARD
    if "VCARD" in text or "vcard" in text or "vCard" in text:
        lower = text.lower()
        if "begin:vcard" in lower or "<vcard>" in lower or "ns:vcard" in lower:
            return VCARD
    return None


def jcard(items: list[Any]) -> bool:
    """A jCard (RFC 7095): `["vcard", [["fn", {}, "text", "Taro"], ...]]`."""
    return (
        len(items) == 2
        and isinstance(items[0], str)
        and items[0].lower() == "vcard"
        and isinstance(items[1], list)
    )


def reach_list(items: Iterable[Any]) -> bool:
    """Three or more phone numbers or email addresses (also `Name <email>`) in one list: other
    people's, since a customer's own are one or two. A list mostly of free-dial numbers is a
    company's hotlines."""
    count = toll_free = 0
    for item in items:
        if not isinstance(item, str) or len(item) > 320:
            return False
        if _EMAIL.fullmatch(item) or _NAME_ADDR.fullmatch(item):
            count += 1
            continue
        if not looks_like_phone(item):
            return False
        count += 1
        toll_free += _toll_free(item)
        if count >= MAX_ENTRIES:
            break
    return count >= 3 and toll_free * 2 < count


def reach_string(text: str) -> Shape | None:
    """One string holding three or more phone numbers or emails ("090-…,080-…,070-…"), or
    rows of a table that each hold one (an address book exported as CSV or TSV)."""
    if len(text) > 8192:
        return None
    if "\n" in text and _reach_rows(text):
        return CONTACT_LIST
    if not (text[0] in "0123456789+(" or text.count("@") >= 3):
        return None
    parts = [part.strip() for part in _SPLIT.split(text, MAX_ENTRIES) if not part.isspace()]
    parts = [part for part in parts if part]
    return CONTACT_LIST if len(parts) >= 3 and reach_list(parts[:MAX_ENTRIES]) else None


def _reach_rows(text: str) -> bool:
    """Three or more rows, most of them, with a field that is a phone number written as one
    or an email: `name,phone\nTaro,090-…\nHanako,080-…\nJiro,070-…`."""
    rows = [row for row in text.split("\n", MAX_ENTRIES) if row.strip()][:MAX_ENTRIES]
    if len(rows) < 3:
        return False
    hits = hotlines = 0  # a table mostly of free-dial numbers is a company's hotlines
    for row in rows:
        fields = [field.strip().strip('"') for field in _FIELDS.split(row)]
        phones = [f for f in fields if f and _written_as_phone(f)]
        emails = [f for f in fields if "@" in f and _EMAIL.fullmatch(f)]
        if phones or emails:
            hits += 1
            hotlines += not emails and all(_toll_free(phone) for phone in phones)
    return hits >= 3 and hits * 2 >= len(rows) and hotlines * 2 < hits


def looks_like_phone(text: str) -> bool:
    """Written like a phone number: international (+), trunk prefix (0) or with separators;
    a bare run of digits is more likely an id."""
    if not _PHONE.fullmatch(text) or sum(c.isdigit() for c in text) < 9:
        return False
    return text[0] in "+0(" or any(c in text for c in " -")


def _written_as_phone(text: str) -> bool:
    """A phone number found by its value alone, without a phone key, must be written as one:
    international (+81…) or a trunk 0 with separators (090-1111-2222), not a zero-padded id."""
    first = text[0]
    if first == "+" or (first in "0(" and ("-" in text or " " in text or ")" in text)):
        return looks_like_phone(text)
    return False


def _toll_free(text: str) -> bool:
    digits = "".join(c for c in text if c.isdigit())
    return digits.startswith(_TOLL_FREE)


def contact_list(items: list[dict[str, Any]], bits: list[int]) -> bool:
    """Two or more entries (most of them) that each name a person and say how to reach them
    (by a phone or email key, or a phone number or email among its values): that is what an
    address book looks like, whatever the list is called. `bits`: each entry's key roles."""
    hits = misses = 0
    for item, roles in zip(items, bits, strict=False):
        if roles & NAME and (roles & REACH or _reachable(item)):
            hits += 1
        else:
            misses += 1
            if misses * 2 >= len(bits):
                return False
    return hits >= 2


def address_book(obj: dict[str, Any], roles_of: Callable[[Iterable[str]], int]) -> bool:
    """Entries keyed by an id (`{"c1": {"name": .., "phone": ..}, "c2": ...}`) are a list too;
    entries under words (billing, shipping; app, device) are not."""
    if not all(not key.isalpha() and _ID.search(key) is not None for key in obj):
        return False
    entries = [value for value in obj.values() if type(value) is dict][:MAX_ENTRIES]
    return len(entries) >= 2 and contact_list(entries, [roles_of(entry) for entry in entries])


def contact_record(obj: dict[str, Any], bits: int) -> bool:
    """One contact from the phone's address book (a picker's result): a name, a way to reach
    the person, and the markers of iOS Contacts (`_$!<Mobile>!$_`, `…:ABPerson`) or Android's
    ContactsContract (`data1`, `lookup`, `vnd.android.cursor.item/…`)."""
    if not (bits & NAME and bits & (REACH | CONTACT_COLUMN)):
        return False
    if not (bits & CONTACT_COLUMN or any(_device_marker(v) for v in _scalars(obj))):
        return False
    return bool(bits & REACH) or _reachable(obj)


def _reachable(item: dict[str, Any]) -> bool:
    """A phone number or email among the entry's own values (`data1`, `number` ...); nested
    ones come under a phone or email key (`phoneNumbers: [{value: …}]`)."""
    for value in islice(item.values(), MAX_SCALARS):
        if type(value) is str and 6 <= len(value) <= 320:
            if "@" in value and _EMAIL.fullmatch(value):
                return True
            if _written_as_phone(value):
                return True
    return False


def _device_marker(value: Any) -> bool:
    return isinstance(value, str) and any(marker in value[:200] for marker in _DEVICE_MARKERS)


def _scalars(value: Any) -> list[Any]:
    """The leaf values of an entry, three levels deep, at most MAX_SCALARS of them."""
    found: list[Any] = []
    stack = [(value, 0)]
    while stack and len(found) < MAX_SCALARS:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = islice(node.values(), MAX_SCALARS)
        elif isinstance(node, list):
            children = node[:MAX_ENTRIES]
        else:
            found.append(node)
            continue
        if level < 3:
            stack.extend((child, level + 1) for child in children)
    return found
