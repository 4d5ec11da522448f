"""Shared test settings: hypothesis profiles (CI runs more examples, deterministically), and the
fixtures most gate tests start from: a fresh master key and the store's location.

``path`` is a store on each backend: a SQLite file, and a fresh database on the PostgreSQL
server that ``FACEGATE_TEST_POSTGRES`` names (an administrator's URL; the test command starts
one). A test about SQLite's own files is marked ``sqlite_only``; without a server the
PostgreSQL cases are skipped, saying so (the test command never runs without one)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from facegate import MasterKey

# Checkpoints kept outside each store (facegate.gate.opening) go to one folder per test run,
# not the user's state folder; worker processes inherit it.
os.environ.setdefault("FACEGATE_STATE_DIR", tempfile.mkdtemp(prefix="facegate-state-"))

settings.register_profile(
    "ci",
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def master() -> MasterKey:
    """A fresh master key (in memory)."""
    return MasterKey.generate()


POSTGRES = os.environ.get("FACEGATE_TEST_POSTGRES")
"""An administrator's URL of the PostgreSQL server the tests create their databases on."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a test about the SQLite backend's files")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test about SQLite's files has no PostgreSQL case (rather than a skipped one).
    items[:] = [
        item
        for item in items
        if not (item.get_closest_marker("sqlite_only") and "[postgresql]" in item.name)
    ]


def postgres_database() -> Iterator[str]:
    """A fresh, empty database on the test server (dropped afterwards), as a store URL."""
    import psycopg

    assert POSTGRES is not None
    name = f"fg_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def path(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """The store a test's gate uses: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield tmp_path / "hotel.db"
        return
    if POSTGRES is None:
        pytest.skip("no PostgreSQL server for the tests (set FACEGATE_TEST_POSTGRES)")
    yield from postgres_database()
