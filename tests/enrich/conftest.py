"""Fixtures for the enrichment tests: a writer for small GeoIP2-City-shaped
databases, the project's own test database, and the shared corpora (skipped
when ../shared is not checked out next to the repository)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from gateway.enrich.useragent import UserAgentParser

SHARED_TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata"

MmdbFactory = Callable[[Path, Mapping[str, Mapping[str, str]]], Path]

# The project's own geo fixture: documentation ranges only (RFC 5737, RFC 3849).
TEST_NETWORKS = {
    "203.0.113.0/24": {"country": "JP", "subdivision": "13", "city": "Tokyo"},
    "198.51.100.0/24": {"country": "GB", "subdivision": "ENG", "city": "London"},
    "192.0.2.0/25": {"country": "US"},
    "2001:db8::/32": {"country": "DE"},
}


def write_city_mmdb(directory: Path, networks: Mapping[str, Mapping[str, str]]) -> Path:
    """Writes a GeoIP2-City-shaped database to a new file in `directory`.

    `networks` maps a CIDR (IPv4 or IPv6) to any of `country`, `subdivision`
    and `city`, stored as `country.iso_code`, `subdivisions[0].iso_code` and
    `city.names.en`.
    """
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoIP2-City",
        languages=["en"],
        description="consent-gateway test database",
    )
    for cidr, location in networks.items():
        writer.insert_network(IPSet([cidr]), _city_record(location))
    path = directory / f"city-{len(list(directory.glob('city-*.mmdb')))}.mmdb"
    writer.to_db_file(str(path))
    return path


def _city_record(location: Mapping[str, str]) -> dict[str, object]:
    record: dict[str, object] = {}
    if "country" in location:
        record["country"] = {"iso_code": location["country"]}
    if "subdivision" in location:
        record["subdivisions"] = [{"iso_code": location["subdivision"]}]
    if "city" in location:
        record["city"] = {"names": {"en": location["city"]}}
    return record


@pytest.fixture
def make_mmdb() -> MmdbFactory:
    """`make_mmdb(tmp_path, {"203.0.113.0/24": {"country": "JP", ...}}) -> Path`."""
    return write_city_mmdb


@pytest.fixture
def test_mmdb(tmp_path: Path) -> Path:
    return write_city_mmdb(tmp_path, TEST_NETWORKS)


@pytest.fixture(scope="session")
def ua_parser() -> UserAgentParser:
    return UserAgentParser()


def _shared_dir(name: str) -> Path:
    path = SHARED_TESTDATA / name
    if not path.is_dir():
        pytest.skip(f"shared test data not checked out: {path} is absent")
    return path


@pytest.fixture(scope="session")
def uap_core_dir() -> Path:
    return _shared_dir("uap-core")


@pytest.fixture(scope="session")
def maxmind_dir() -> Path:
    return _shared_dir("maxmind")
