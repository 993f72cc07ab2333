"""The HTTP status rules every adapter shares, and Retry-After parsing (RFC 9110 §10.2.3)."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from gateway.destinations.base import check_response, parse_retry_after
from gateway.errors import FatalDelivery, RetryableDelivery


def response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status: int) -> None:
    check_response(response(status))


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 507, 599])
def test_timeouts_throttling_and_most_5xx_are_retried(status: int) -> None:
    with pytest.raises(RetryableDelivery) as caught:
        check_response(response(status))
    assert caught.value.status == status


@pytest.mark.parametrize("status", [301, 302, 307, 400, 401, 403, 404, 410, 413, 422, 501, 505])
def test_redirects_other_4xx_501_and_505_are_fatal(status: int) -> None:
    with pytest.raises(FatalDelivery) as caught:
        check_response(response(status))
    assert caught.value.status == status


def test_retry_after_is_passed_on_with_the_retry() -> None:
    with pytest.raises(RetryableDelivery) as caught:
        check_response(response(429, **{"retry-after": "7"}))
    assert caught.value.retry_after == 7.0
    with pytest.raises(RetryableDelivery) as caught:
        check_response(response(503))
    assert caught.value.retry_after is None


def test_retry_after_as_seconds_or_http_date() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    later = email.utils.formatdate(now + 90, usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(90.0)
    earlier = email.utils.formatdate(now - 90, usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "Thu, 99 Foo 2026"])
def test_unreadable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value) is None
