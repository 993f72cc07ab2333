"""Geo lookup: country, subdivision and city of an IP from a MaxMind DB."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

import maxminddb
from maxminddb import InvalidDatabaseError

from gateway.enrich.ip import parse_ip
from gateway.errors import GeoDatabaseError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GeoInfo:
    """ISO 3166-1 country code, ISO 3166-2 subdivision code without the
    country part (e.g. "13", "ENG"), and the English city name."""

    country: str | None
    subdivision: str | None
    city: str | None


class GeoLookup(Protocol):
    """Where an IP address is. The real one is MaxMindGeo; tests may pass any
    object with this method."""

    def lookup(self, ip: str) -> GeoInfo | None:
        """The location of `ip`, or None when it is unknown or not an address."""
        ...


class MaxMindGeo:
    """A GeoIP2/GeoLite2 City or Country database, opened once and memory-mapped."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._reader = _open_reader(self._path)
        self._ipv4_only = self._reader.metadata().ip_version == 4
        self._reported_corruption = False

    def lookup(self, ip: str) -> GeoInfo | None:
        address = parse_ip(ip)
        if address is None or (self._ipv4_only and address.version == 6):
            return None
        try:
            record = self._reader.get(address)
        except (InvalidDatabaseError, ValueError, TypeError, OverflowError) as exc:
            self._report_corruption(exc)
            return None
        return _geo_info(record)

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> MaxMindGeo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _report_corruption(self, exc: Exception) -> None:
        # Only the type: maxminddb's messages contain the address looked up.
        if not self._reported_corruption:
            self._reported_corruption = True
            logger.warning(
                "GeoIP database %s: lookup failed (%s); treating such addresses as unknown",
                self._path,
                type(exc).__name__,
            )


def _open_reader(path: Path) -> maxminddb.Reader:
    try:
        reader = maxminddb.open_database(path, _reader_mode())
        reader.metadata()
    except FileNotFoundError as exc:
        raise GeoDatabaseError(f"GeoIP database {path}: no such file") from exc
    except OSError as exc:
        raise GeoDatabaseError(f"GeoIP database {path}: cannot read it ({exc})") from exc
    except (InvalidDatabaseError, ValueError, TypeError, OverflowError) as exc:
        raise GeoDatabaseError(f"GeoIP database {path}: not a valid MaxMind DB ({exc})") from exc
    return reader


def _reader_mode() -> int:
    try:
        from maxminddb import extension
    except ImportError:
        return maxminddb.MODE_MMAP
    return maxminddb.MODE_MMAP_EXT if hasattr(extension, "Reader") else maxminddb.MODE_MMAP


def _geo_info(record: object) -> GeoInfo | None:
    if not isinstance(record, dict):
        return None
    info = GeoInfo(
        country=_text(record, "country", "iso_code"),
        subdivision=_first_subdivision(record),
        city=_text(record, "city", "names", "en"),
    )
    return None if info == _NOWHERE else info


_NOWHERE = GeoInfo(country=None, subdivision=None, city=None)


def _first_subdivision(record: dict[object, object]) -> str | None:
    # GeoIP2 lists subdivisions from largest to smallest (England, then county).
    subdivisions = record.get("subdivisions")
    if not isinstance(subdivisions, list) or not subdivisions:
        return None
    return _text(subdivisions[0], "iso_code")


def _text(node: object, *keys: str) -> str | None:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node if isinstance(node, str) and node else None
