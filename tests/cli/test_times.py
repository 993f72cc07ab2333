"""Times on the command line: ISO-8601 (UTC unless an offset is named) or a span before now."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from gateway.cli.times import age, iso, iso_times, parse_time

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", "2026-11-30T12:00:00Z"),
        ("24h", "2026-12-06T12:00:00Z"),
        ("30m", "2026-12-07T11:30:00Z"),
        ("45s", "2026-12-07T11:59:15Z"),
        ("2w", "2026-11-23T12:00:00Z"),
        ("now", "2026-12-07T12:00:00Z"),
        ("2026-12-01", "2026-12-01T00:00:00Z"),
        ("2026-12-01T09:00", "2026-12-01T09:00:00Z"),
        ("2026-12-01T09:00Z", "2026-12-01T09:00:00Z"),
        ("2026-12-01T18:00+09:00", "2026-12-01T09:00:00Z"),
    ],
)
def test_iso_and_relative_times(text: str, expected: str) -> None:
    assert iso(parse_time(text, now=NOW)) == expected


@pytest.mark.parametrize("text", ["yesterday", "7 days", "-3d", "2026-13-01", ""])
def test_anything_else_is_one_sentence_naming_the_forms(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"is not an ISO-8601 time .* 7d\)"):
        parse_time(text, now=NOW)


def test_age_in_the_two_largest_units() -> None:
    assert [age(NOW - s, now=NOW) for s in (5, 600, 3 * 3600 + 300, 2 * 86400 + 4 * 3600)] == [
        "5s",
        "10m",
        "3h05m",
        "2d04h",
    ]


def test_epoch_times_in_a_document_become_iso() -> None:
    document = {
        "generated_at": NOW,
        "consent_log": [{"at": NOW, "source": "api", "count": 3}],
        "flag": True,
        "created_at": "already text",
    }
    assert iso_times(document) == {
        "generated_at": "2026-12-07T12:00:00Z",
        "consent_log": [{"at": "2026-12-07T12:00:00Z", "source": "api", "count": 3}],
        "flag": True,
        "created_at": "already text",
    }
