"""The one table of recognisers. Adding a shape is one entry here plus its cases in the
corpus; `sweep.py` is the only caller, `gateway explain` prints each entry's name and rule."""

from __future__ import annotations

from dataclasses import replace

from gateway.policy.forbidden.detectors import contacts, location, media, messages, opaque
from gateway.policy.forbidden.recogniser import CollectionJudge, Recogniser, RecordJudge
from gateway.policy.forbidden.texts import UNSCANNED
from gateway.policy.forbidden.vocabulary import CONTACTS, LOCATION, MEDIA, MESSAGE_CONTENT

L, M = location, media
W, P, K = "word", "plain", "link"


def _shapes(recogniser: Recogniser, *shapes: str) -> Recogniser:
    """Mark the shapes of string a recogniser can condemn: W = ID-shaped ([A-Za-z0-9_-]),
    P = plain text (no ASCII digit, none of @:=%(\\~_), K = an http(s) link. The sweep shows a
    string only to the recognisers of its shape; property tests prove the others never
    condemn one."""
    return replace(
        recogniser, word_shaped=W in shapes, plain_shaped=P in shapes, in_links=K in shapes
    )


STRINGS: tuple[Recogniser, ...] = (
    _shapes(Recogniser("location.polyline", LOCATION, L.polyline_prefilter, L.polyline), W, P),
    _shapes(
        Recogniser("location.geohash", LOCATION, L.geohash_prefilter, L.geohash, L.CELL_HINTS),
        W,
    ),
    _shapes(Recogniser("location.h3", LOCATION, L.h3_prefilter, L.h3), W),
    _shapes(Recogniser("location.quadkey", LOCATION, L.quadkey_prefilter, L.quadkey), W),
    _shapes(Recogniser("location.grid", LOCATION, L.grid_prefilter, L.grid), W, K),
    _shapes(Recogniser("location.wkt", LOCATION, L.wkt_prefilter, L.wkt), K),
    _shapes(Recogniser("location.pair", LOCATION, L.pair_prefilter, L.pair), K),
    _shapes(Recogniser("location.wkb", LOCATION, L.wkb_prefilter, L.wkb), W),
    _shapes(Recogniser("media.notation", MEDIA, M.notation_prefilter, M.notation), P, K),
    Recogniser("messages.text", MESSAGE_CONTENT, messages.text_prefilter, messages.message_text),
    _shapes(
        Recogniser("contacts.text", CONTACTS, contacts.points_prefilter, contacts.text_book), K
    ),
)
# Judged last, on what decoded to nothing readable: fail closed.
UNREADABLE: tuple[Recogniser, ...] = (
    Recogniser("encoded.opaque", UNSCANNED, opaque.opaque_prefilter, opaque.opaque),
)
RECORDS: tuple[RecordJudge, ...] = (
    RecordJudge("location.mercator", LOCATION, L.mercator_record, L.reference_key),
    RecordJudge("messages.platform", MESSAGE_CONTENT, messages.platform_message, messages.text_key),
    RecordJudge(
        "messages.notification", MESSAGE_CONTENT, messages.notification, messages.title_key
    ),
    RecordJudge("contacts.keyed", CONTACTS, contacts.keyed_book, contacts.point_key),
)
WORD_SHAPED: tuple[Recogniser, ...] = tuple(r for r in STRINGS if r.word_shaped)
IN_LINKS: tuple[Recogniser, ...] = tuple(r for r in STRINGS if r.in_links)
PLAIN_SHAPED: tuple[Recogniser, ...] = tuple(r for r in STRINGS if r.plain_shaped)
COLLECTIONS: tuple[CollectionJudge, ...] = (
    CollectionJudge("contacts.records", CONTACTS, contacts.record_book),
    CollectionJudge("messages.conversation", MESSAGE_CONTENT, messages.conversation),
)
