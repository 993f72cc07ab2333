"""Times on the command line: read as ISO-8601 (UTC unless the value names an offset) or
relative to now (`30m`, `24h`, `7d`, `2w`); printed as ISO-8601 UTC."""

from __future__ import annotations

import argparse
import re
import time
from datetime import UTC, datetime

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
RELATIVE = re.compile(r"(\d+)\s*([smhdw])")
EXPECTED = "an ISO-8601 time (2026-12-01, 2026-12-01T09:00Z) or a span before now (30m, 24h, 7d)"


def parse_time(value: str, now: float | None = None) -> float:
    """Seconds since the epoch; raises argparse.ArgumentTypeError with one sentence."""
    text = value.strip()
    relative = RELATIVE.fullmatch(text)
    if relative:
        span = int(relative.group(1)) * UNITS[relative.group(2)]
        return (time.time() if now is None else now) - span
    if text == "now":
        return time.time() if now is None else now
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise argparse.ArgumentTypeError(f'"{value}" is not {EXPECTED}') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def age(seconds: float, now: float | None = None) -> str:
    """How long ago, in the two largest units: 45s, 12m, 3h05m, 2d04h."""
    left = max(0, int((time.time() if now is None else now) - seconds))
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"


TIME_KEYS = re.compile(r"(.*_at|at|time|timestamp|ts)")


def iso_times(value: object) -> object:
    """A document with every epoch-seconds time (keys `*_at`, `at`, `time`, `timestamp`,
    `ts`) written as ISO-8601 UTC, for output."""
    if isinstance(value, dict):
        return {
            k: iso(v)
            if TIME_KEYS.fullmatch(str(k))
            and isinstance(v, int | float)
            and not isinstance(v, bool)
            else iso_times(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [iso_times(v) for v in value]
    return value
