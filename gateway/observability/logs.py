"""Structured logs: one JSON object per line with time, level, logger and message.
Messages name paths, reasons and counts; payload values are never passed to a logger."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and where it happened; its message may quote input.
            entry["error"] = record.exc_info[0].__name__
            entry["trace"] = self.formatException(record.exc_info).splitlines()[-4:-1]
        return orjson.dumps(entry).decode()


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """A logging.config dict that sends uvicorn's and the gateway's logs through JsonFormatter."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "gateway": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            # httpx logs every request's full URL at INFO: destination URLs often carry a
            # token (webhook paths, GA4's api_secret), and one line per delivery is noise.
            "httpx": {
                "handlers": ["default"],
                "level": "DEBUG" if level.lower() == "debug" else "WARNING",
                "propagate": False,
            },
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }


def configure(level: str) -> None:
    import logging.config

    logging.config.dictConfig(uvicorn_log_config(level))
