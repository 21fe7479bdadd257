"""The shared test helpers: polling with a deadline, serving in a thread, a migrated database per test."""

from __future__ import annotations

import http.server
import itertools
import time

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import func, select

from reelsmith.db.engine import Database
from reelsmith.db.migrate import alembic_config, upgrade
from reelsmith.db.models import Base, User
from tests.support import free_port, serve_in_thread, wait_until


def test_wait_until_returns_the_first_truthy_answer() -> None:
    counter = itertools.count()
    assert wait_until(lambda: next(counter) >= 3 and "ready", interval_s=0.001) == "ready"


def test_wait_until_fails_at_the_deadline_saying_what_it_awaited() -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"waiting for the kettle to boil \(last value: 0\)"):
        wait_until(lambda: 0, timeout_s=0.2, interval_s=0.05, message=lambda: "the kettle to boil")
    assert time.monotonic() - started < 2


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_serve_in_thread_serves_a_stdlib_server_until_the_block_ends() -> None:
    with serve_in_thread(http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)) as url:
        assert httpx.get(url).text == "hello"
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)


def test_serve_in_thread_serves_an_asgi_app_on_the_port_asked_for() -> None:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, bool]:
        return {"pong": True}

    port = free_port()
    with serve_in_thread(app, port=port) as url:
        assert url == f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/ping").json() == {"pong": True}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/ping")


def _revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_each_test_database_starts_at_head_and_start_up_leaves_it_there(database_url: str) -> None:
    db = Database(database_url)
    head = ScriptDirectory.from_config(alembic_config(db)).get_current_head()
    assert _revision(db) == head
    upgrade(db)
    assert _revision(db) == head
    db.dispose()


def test_each_test_database_has_the_schema_the_models_expect(database_url: str) -> None:
    db = Database(database_url)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    db.dispose()


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_database_is_a_fresh_copy(database_url: str, attempt: int) -> None:
    db = Database(database_url)
    with db.write() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0  # nothing from the other attempt
        session.add(User(username=f"only-here-{attempt}"))
    db.dispose()
