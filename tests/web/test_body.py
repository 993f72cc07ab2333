"""Reading a body under the limits: the declared length first, then chunk by chunk, and
gzip inflated incrementally; the reader stops pulling chunks as soon as a limit is passed."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator

import pytest
from starlette.requests import ClientDisconnect

from gateway.errors import Refused
from gateway.web.body import check_content_type, read_limited
from gateway.web.responses import status_of


class Chunks:
    """An async body that counts how many chunks the reader pulled."""

    def __init__(self, data: bytes, size: int = 1024) -> None:
        self.parts = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            self.pulled += 1
            yield part


async def read(
    chunks: Chunks, limit: int = 4096, length: str | None = None, encoding: str | None = None
) -> bytes:
    return await read_limited(
        chunks.__aiter__(), limit=limit, content_length=length, content_encoding=encoding
    )


async def refused(chunks: Chunks, **kwargs: object) -> tuple[int, str]:
    with pytest.raises(Refused) as caught:
        await read(chunks, **kwargs)  # type: ignore[arg-type]
    return status_of(caught.value), caught.value.message


async def test_a_body_within_the_limit_is_read_whole() -> None:
    data = b"x" * 4096
    assert await read(Chunks(data), length="4096") == data


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    chunks = Chunks(b"x" * 5000)
    assert await refused(chunks, length="5000") == (413, "body too large: 5000 bytes (limit 4096)")
    assert chunks.pulled == 0


async def test_an_undeclared_length_is_counted_while_reading() -> None:
    chunks = Chunks(b"x" * 1_000_000)
    assert await refused(chunks) == (413, "body too large: more than 4096 bytes")
    assert chunks.pulled == 5  # stopped at the first chunk past the limit, not at the end


async def test_a_lying_declared_length_does_not_help() -> None:
    chunks = Chunks(b"x" * 100_000)
    assert await refused(chunks, length="10") == (413, "body too large: more than 4096 bytes")
    assert chunks.pulled == 5


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", " GZIP "])
async def test_gzip_is_inflated_and_the_limit_applies_to_the_inflated_size(
    encoding: str,
) -> None:
    data = b'{"batch": []}' + b" " * 4000
    assert await read(Chunks(gzip.compress(data), 7), encoding=encoding) == data
    too_big = gzip.compress(data + b" " * 200)
    assert await refused(Chunks(too_big), encoding=encoding) == (
        413,
        "body too large once decompressed",
    )


async def test_a_gzip_bomb_is_stopped_after_a_bounded_amount_of_work() -> None:
    bomb = gzip.compress(b"\0" * 20_000_000, compresslevel=9)  # ~20 KB → 20 MB
    chunks = Chunks(bomb, 16 * 1024)
    assert await refused(chunks, length=str(len(bomb)), encoding="gzip") == (
        413,
        "body too large once decompressed",
    )
    assert chunks.pulled == 1


async def test_gzip_declared_length_is_the_compressed_size_so_it_is_not_held_against_it() -> None:
    data = b"x" * 4000
    compressed = gzip.compress(data)
    assert await read(Chunks(compressed), length=str(len(compressed)), encoding="gzip") == data


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not gzip at all", (400, "gzip body is corrupt")),
        (gzip.compress(b"{}" * 100)[:-4], (400, "gzip body is truncated or corrupt")),
        (b"", (400, "gzip body is truncated or corrupt")),
        (zlib.compress(b"{}"), (400, "gzip body is corrupt")),  # zlib framing, not gzip
        (
            gzip.compress(b"{}") + b"{}",
            (400, "gzip body has data after the end of the compressed stream"),
        ),
        (
            gzip.compress(b'{"a":') + gzip.compress(b"1}"),
            (400, "gzip body has data after the end of the compressed stream"),
        ),
    ],
)
async def test_bad_gzip(body: bytes, error: tuple[int, str]) -> None:
    assert await refused(Chunks(body, 5), encoding="gzip") == error


@pytest.mark.parametrize("encoding", ["br", "deflate", "compress", "gzip, br", "zstd"])
async def test_other_encodings_are_refused(encoding: str) -> None:
    chunks = Chunks(b"{}")
    status, message = await refused(chunks, encoding=encoding)
    assert status == 415 and message.startswith("unsupported content encoding")
    assert chunks.pulled == 0


async def test_identity_encoding_is_plain() -> None:
    assert await read(Chunks(b"{}"), encoding="identity") == b"{}"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/vnd.segment+json",
    ],
)
def test_json_content_types_are_accepted(value: str | None) -> None:
    check_content_type(value)


@pytest.mark.parametrize(
    "value",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/html",
        "application/xml",
        "application/octet-stream",
        "json",
    ],
)
def test_other_content_types_are_415(value: str) -> None:
    with pytest.raises(Refused) as caught:
        check_content_type(value)
    assert status_of(caught.value) == 415


async def test_a_client_that_disconnects_mid_body_is_a_refusal_not_a_crash() -> None:
    async def cut_off() -> AsyncIterator[bytes]:
        yield b'{"event":'
        raise ClientDisconnect()

    with pytest.raises(Refused) as caught:
        await read_limited(cut_off(), limit=4096, content_length="100", content_encoding=None)
    assert (status_of(caught.value), caught.value.message) == (
        400,
        "the client disconnected before the body was complete",
    )
