"""Times on the command line: read as ISO-8601, printed as ISO-8601 UTC."""

from __future__ import annotations

import time
from datetime import datetime


def parse_time(value: str | None) -> float | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment.timestamp() if moment.tzinfo else moment.astimezone().timestamp()


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
