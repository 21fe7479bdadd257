"""Shared fixtures: settings on a temporary data dir, and a database per test (SQLite or PostgreSQL).

`REELSMITH_TEST_DATABASE_URL` (a PostgreSQL URL) adds a PostgreSQL run of every database test;
each test gets its own schema there, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reelsmith.config import Settings

PG_URL = os.environ.get("REELSMITH_TEST_DATABASE_URL", "")
DB_BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(params=DB_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema in the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'reelsmith.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings on a temporary data dir with the test database and the local provider."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        workers=2,
        stale_after_s=120,
        reaper_interval_s=0.5,
        _env_file=None,  # type: ignore[call-arg]
    )


def require_service(env_name: str) -> str:
    """The service URL from `env_name`; skipped when absent, a failure when CI=true demands it."""
    url = os.environ.get(env_name, "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{env_name} is not set but CI=true requires the service")
        pytest.skip(f"{env_name} not set")
    return url


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
