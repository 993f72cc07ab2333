"""The one table of recognisers. Adding a shape is one entry here plus its cases in the
corpus; `sweep.py` is the only caller, `gateway explain` prints each entry's name and rule."""

from __future__ import annotations

from gateway.policy.forbidden.detectors import contacts, location, media, messages, opaque
from gateway.policy.forbidden.recogniser import CollectionJudge, Recogniser, RecordJudge
from gateway.policy.texts import UNSCANNED
from gateway.policy.words import CONTACTS, LOCATION, MEDIA, MESSAGE_CONTENT

STRINGS: tuple[Recogniser, ...] = (
    Recogniser(
        "location.polyline",
        LOCATION,
        location.polyline_prefilter,
        location.polyline,
        word_shaped=True,
        plain_shaped=True,
    ),
    Recogniser(
        "location.geohash",
        LOCATION,
        location.geohash_prefilter,
        location.geohash,
        location.CELL_HINTS,
        word_shaped=True,
    ),
    Recogniser("location.h3", LOCATION, location.h3_prefilter, location.h3, word_shaped=True),
    Recogniser(
        "location.quadkey", LOCATION, location.quadkey_prefilter, location.quadkey, word_shaped=True
    ),
    Recogniser("location.grid", LOCATION, location.grid_prefilter, location.grid, word_shaped=True),
    Recogniser("location.wkt", LOCATION, location.wkt_prefilter, location.wkt),
    Recogniser("location.pair", LOCATION, location.pair_prefilter, location.pair),
    Recogniser("location.wkb", LOCATION, location.wkb_prefilter, location.wkb, word_shaped=True),
    Recogniser(
        "media.notation", MEDIA, media.notation_prefilter, media.notation, plain_shaped=True
    ),
    Recogniser("messages.text", MESSAGE_CONTENT, messages.text_prefilter, messages.message_text),
    Recogniser("contacts.text", CONTACTS, contacts.points_prefilter, contacts.text_book),
)
# Judged last, on what decoded to nothing readable: fail closed.
UNREADABLE: tuple[Recogniser, ...] = (
    Recogniser("encoded.opaque", UNSCANNED, opaque.opaque_prefilter, opaque.opaque),
)
RECORDS: tuple[RecordJudge, ...] = (
    RecordJudge("location.mercator", LOCATION, location.mercator_record),
    RecordJudge("messages.platform", MESSAGE_CONTENT, messages.platform_message, messages.text_key),
    RecordJudge(
        "messages.notification", MESSAGE_CONTENT, messages.notification, messages.title_key
    ),
    RecordJudge("contacts.keyed", CONTACTS, contacts.keyed_book, contacts.point_key),
)
WORD_SHAPED: tuple[Recogniser, ...] = tuple(r for r in STRINGS if r.word_shaped)
PLAIN_SHAPED: tuple[Recogniser, ...] = tuple(r for r in STRINGS if r.plain_shaped)
COLLECTIONS: tuple[CollectionJudge, ...] = (
    CollectionJudge("contacts.records", CONTACTS, contacts.record_book),
    CollectionJudge("messages.conversation", MESSAGE_CONTENT, messages.conversation),
)
