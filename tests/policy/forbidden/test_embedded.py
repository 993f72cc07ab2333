"""Text encoded once more (`embedded.decode_text`): every decoding is shorter than the string
it came from, so a scan's cost stays linear in the event's size whatever the nesting."""

from __future__ import annotations

import base64
import codecs
import gzip
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.forbidden import embedded
from gateway.policy.forbidden.embedded import decode_text

ENCODERS = [
    lambda raw: base64.b64encode(raw).decode(),
    lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("="),
    lambda raw: base64.b64encode(gzip.compress(raw)).decode(),
    lambda raw: base64.b64encode(zlib.compress(raw)).decode(),
]


def test_a_compression_bomb_inflates_no_further_than_its_own_length() -> None:
    """Regression from review: five strings of nested gzip in a 30 KB event inflated to
    megabytes and took 10 s of the event loop."""
    bomb = base64.b64encode(gzip.compress(b"[0.5, 0.25], " * 200_000)).decode()
    decoded = decode_text(bomb)
    assert decoded is not None and decoded.startswith("[0.5, 0.25], ")
    assert len(decoded) <= len(bomb)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=6, max_size=400), st.sampled_from(ENCODERS))
def test_decoding_is_never_longer_than_the_encoded_string(text: str, encode: object) -> None:
    encoded = encode(text.encode())  # type: ignore[operator]
    decoded = decode_text(encoded)
    assert decoded is None or len(decoded) <= len(encoded)


def test_a_cut_inside_a_character_leaves_that_character_out() -> None:
    japanese = "東京駅は北緯35.681236度、東経139.767125度。" * 40
    encoded = base64.b64encode(gzip.compress(japanese.encode())).decode()
    decoded = decode_text(encoded)
    assert decoded is not None and japanese.startswith(decoded) and len(decoded) > 20


@given(
    st.one_of(
        st.binary(max_size=64),
        st.text(max_size=40).map(str.encode),
        # U+FFFD written in the text, beside bytes that are not UTF-8 or not
        st.tuples(st.text(max_size=20), st.binary(max_size=8)).map(
            lambda parts: (parts[0] + "\ufffd").encode() + parts[1]
        ),
    )
)
def test_whole_bytes_are_text_exactly_when_an_incremental_decoder_says_so(raw: bytes) -> None:
    """`_as_text` decodes whole bytes in one call; a final incremental decode is the
    reference (same errors, same text)."""
    try:
        reference: str | None = codecs.getincrementaldecoder("utf-8")().decode(raw, final=True)
    except UnicodeDecodeError:
        reference = None
    text = embedded._as_text(raw)
    if reference is None:
        assert text is None
    else:
        assert text == embedded._as_text(reference.encode(), complete=False)
