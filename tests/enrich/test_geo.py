from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.enrich.geo import GeoDatabaseError, GeoInfo, MaxMindGeo
from tests.enrich.conftest import SHARED_TESTDATA, MmdbFactory

# --- the project's own database, written by the fixture ---------------------


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("203.0.113.77", GeoInfo("JP", "13", "Tokyo")),
        ("203.0.113.0", GeoInfo("JP", "13", "Tokyo")),
        ("::ffff:203.0.113.77", GeoInfo("JP", "13", "Tokyo")),
        ("198.51.100.9", GeoInfo("GB", "ENG", "London")),
        ("192.0.2.1", GeoInfo("US", None, None)),
        ("2001:db8:abcd::1", GeoInfo("DE", None, None)),
        ("fe80::1%eth0", None),
        ("192.0.2.200", None),
        ("203.0.114.1", None),
        ("10.0.0.1", None),
        ("2001:db9::1", None),
        ("not an ip", None),
        ("", None),
    ],
)
def test_lookup_in_project_database(test_mmdb: Path, ip: str, expected: GeoInfo | None) -> None:
    with MaxMindGeo(test_mmdb) as geo:
        assert geo.lookup(ip) == expected


def test_factory_writes_separate_files(tmp_path: Path, make_mmdb: MmdbFactory) -> None:
    first = make_mmdb(tmp_path, {"203.0.113.0/24": {"country": "JP"}})
    second = make_mmdb(tmp_path, {"203.0.113.0/24": {"country": "FR", "city": "Paris"}})
    assert first != second
    with MaxMindGeo(first) as a, MaxMindGeo(str(second)) as b:
        assert a.lookup("203.0.113.1") == GeoInfo("JP", None, None)
        assert b.lookup("203.0.113.1") == GeoInfo("FR", None, "Paris")


def test_record_without_location_fields_gives_none(tmp_path: Path, make_mmdb: MmdbFactory) -> None:
    path = make_mmdb(tmp_path, {"203.0.113.0/24": {}})
    with MaxMindGeo(path) as geo:
        assert geo.lookup("203.0.113.1") is None


def test_database_is_memory_mapped_by_the_c_extension(test_mmdb: Path) -> None:
    extension = pytest.importorskip("maxminddb.extension")
    with MaxMindGeo(test_mmdb) as geo:
        assert isinstance(geo._reader, extension.Reader)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "GeoLite2-City.mmdb"
    with pytest.raises(GeoDatabaseError, match=r"GeoLite2-City\.mmdb: no such file"):
        MaxMindGeo(missing)


@pytest.mark.parametrize(
    "content", [b"", b"not a database", b"\xab\xcd\xefMaxMind.com" + b"\x00" * 8]
)
def test_corrupt_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "corrupt.mmdb"
    path.write_bytes(content)
    with pytest.raises(GeoDatabaseError, match=r"corrupt\.mmdb: not a valid MaxMind DB"):
        MaxMindGeo(path)


def test_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GeoDatabaseError, match=str(tmp_path)):
        MaxMindGeo(tmp_path)


# --- MaxMind's published test databases (../shared) -------------------------


@pytest.fixture
def city_test_db(maxmind_dir: Path) -> Iterator[MaxMindGeo]:
    with MaxMindGeo(maxmind_dir / "test-data" / "GeoIP2-City-Test.mmdb") as geo:
        yield geo


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("81.2.69.160", GeoInfo("GB", "ENG", "London")),
        ("::ffff:81.2.69.160", GeoInfo("GB", "ENG", "London")),
        ("216.160.83.56", GeoInfo("US", "WA", "Milton")),
        ("2.125.160.216", GeoInfo("GB", "ENG", "Boxford")),
        ("2001:218::1", GeoInfo("JP", None, None)),
        ("2a02:d300::1", GeoInfo("UA", None, None)),
        ("10.0.0.1", None),
        ("2001:db8::1", None),
    ],
)
def test_lookup_in_maxmind_city_test_db(
    city_test_db: MaxMindGeo, ip: str, expected: GeoInfo | None
) -> None:
    assert city_test_db.lookup(ip) == expected


def test_ipv4_only_database_answers_none_for_ipv6(maxmind_dir: Path) -> None:
    with MaxMindGeo(maxmind_dir / "test-data" / "MaxMind-DB-test-ipv4-24.mmdb") as geo:
        assert geo.lookup("2001:db8::1") is None
        assert geo.lookup("1.1.1.1") is None  # records there are not geo records


def _bad_databases() -> list[Path]:
    root = SHARED_TESTDATA / "maxmind"
    files = sorted((root / "bad-data").rglob("*.mmdb"))
    files += sorted((root / "test-data").glob("*[Bb]roken*.mmdb"))
    files += sorted((root / "test-data").glob("*Invalid*.mmdb"))
    return files


_PROBE_IPS = ["1.1.1.1", "81.2.69.160", "0.0.0.0", "255.255.255.255", "::", "2001:db8::1"]


@pytest.mark.parametrize("path", _bad_databases(), ids=lambda path: path.name)
def test_bad_database_fails_cleanly(
    maxmind_dir: Path, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        geo = MaxMindGeo(path)
    except GeoDatabaseError as exc:
        assert str(path) in str(exc)
        return
    with geo:
        for ip in _PROBE_IPS:
            result = geo.lookup(ip)
            assert result is None or isinstance(result, GeoInfo)
    for record in caplog.records:
        assert not any(ip in record.getMessage() for ip in _PROBE_IPS)


def test_bad_shared_databases_are_present(maxmind_dir: Path) -> None:
    assert len(_bad_databases()) >= 20


def test_corrupt_lookup_is_reported_once_without_the_address(
    maxmind_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = maxmind_dir / "bad-data" / "libmaxminddb" / "libmaxminddb-oversized-map.mmdb"
    caplog.set_level(logging.WARNING, logger="gateway.enrich.geo")
    with MaxMindGeo(path) as geo:
        assert geo.lookup("81.2.69.160") is None
        assert geo.lookup("81.2.69.161") is None
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert "lookup failed (InvalidDatabaseError)" in messages[0]
    assert "81.2.69" not in messages[0]
