"""Shared fixtures: settings on a temporary data dir, and a migrated database per test.

Every database test runs on SQLite; `REELSMITH_TEST_DATABASE_URL` (a PostgreSQL server URL) adds a
PostgreSQL run of each. The session migrates one template per backend from the code's migrations and
each test gets its own copy (see `tests/support/databases.py`); `empty_database_url` is for the tests
of the migrations themselves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelsmith.config import Settings
from tests.fakes.media import make_mp4
from tests.fakes.server import CdnServer
from tests.support.databases import PostgresSchemas, PostgresTemplate, SqliteTemplate
from tests.support.limits import flush_rate_limits


def _redis_db_per_worker() -> None:
    """Give each parallel test process (pytest-xdist's gw0, gw1, …) a Redis database of its own.

    Tests that configure Redis flush counters and fill queues there; two processes sharing one
    database would see each other's keys. Databases are counted down from the one configured.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("REELSMITH_TEST_REDIS_URL", "")
    if not worker.startswith("gw") or not url:
        return
    base, _, db = url.rpartition("/")
    number = int(db or 0) - int(worker[2:])
    if number < 0:
        raise pytest.UsageError(f"too many test processes for the Redis databases below {db}")
    os.environ["REELSMITH_TEST_REDIS_URL"] = f"{base}/{number}"


_redis_db_per_worker()
# The CLI's Rich consoles read the terminal width once, when their module is first imported (by
# whichever test comes first in this process); the tests read the tables whole, so the terminal is wide.
os.environ["COLUMNS"] = "200"
PG_URL = os.environ.get("REELSMITH_TEST_DATABASE_URL", "")
DB_BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """A SQLite file migrated to head once per session."""
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[PostgresSchemas]:
    """The test PostgreSQL server, where each test gets a schema of its own."""
    schemas = PostgresSchemas(PG_URL)
    yield schemas
    schemas.close()


@pytest.fixture(scope="session")
def postgres_template(postgres_schemas: PostgresSchemas) -> PostgresTemplate:
    """The migrations to head, run once per session and kept as the SQL they sent."""
    return PostgresTemplate(postgres_schemas)


@pytest.fixture(params=DB_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at head for this test alone: a copy of the session's SQLite file or PostgreSQL template."""
    if request.param == "sqlite":
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        yield template.copy_to(tmp_path / "data" / "reelsmith.db")
        return
    pg_template: PostgresTemplate = request.getfixturevalue("postgres_template")
    with pg_template.copy() as url:
        yield url


@pytest.fixture(params=DB_BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables), for tests that run the migrations from the start."""
    if request.param == "sqlite":
        (tmp_path / "data").mkdir(exist_ok=True)
        yield f"sqlite:///{tmp_path / 'data' / 'reelsmith.db'}"
        return
    schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
    with schemas.schema() as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings on a temporary data dir with the test database and the local provider."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        workers=2,
        stale_after_s=120,
        reaper_interval_s=0.5,
        # Silent unless a test asks for narration: speaking every story would slow the whole suite
        # (the narration tests ask for it, and one checks the shipped default).
        narrate_by_default=False,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Every test starts with no rate-limit counts on the test Redis: tests that configure Redis share
    it, and the test client's address would otherwise run into earlier tests' sign-ups."""
    url = os.environ.get("REELSMITH_TEST_REDIS_URL", "")
    if url:
        flush_rate_limits(url)


@pytest.fixture(scope="session")
def sample_mp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real 1 s H.264/AAC clip that every provider fake hands out as its generated video."""
    return make_mp4(tmp_path_factory.mktemp("fake-media") / "sample.mp4").read_bytes()


@pytest.fixture
def cdn() -> Iterator[CdnServer]:
    """The origin serving a provider fake's output files, as provider CDNs do."""
    with CdnServer() as server:
        yield server
