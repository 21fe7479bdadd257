"""An event stream rides out a database that goes away for a moment (a restart, a failover): it keeps the
client's connection open, says so in a comment, and goes on with the events once the database is back,
instead of closing and making every watcher of every generation reconnect at once.

PostgreSQL is reached through a proxy that refuses and cuts connections, as a restarting server does;
SQLite has no outage of this kind, so the test runs on PostgreSQL alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from reelsmith.api import events
from reelsmith.config import Settings
from reelsmith.pipeline.progress import record_event
from reelsmith.server.app import create_app
from tests.api.conftest import signup
from tests.support import require_service, wait_until
from tests.support.databases import PostgresTemplate
from tests.support.proxy import TcpProxy

OUTAGE_NOTE = ": database unavailable, retrying"


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    server = make_url(require_service("REELSMITH_TEST_DATABASE_URL"))
    proxy = TcpProxy(server.port or 5432).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_settings(
    tmp_path: Path, postgres_template: PostgresTemplate, proxy: TcpProxy
) -> Iterator[Settings]:
    """Settings whose database (a copy of the migrated template) is reached through the proxy."""
    with postgres_template.copy() as url:
        through = make_url(url).set(host="127.0.0.1", port=proxy.port)
        yield Settings(
            data_dir=tmp_path / "data",
            database_url=through.render_as_string(hide_password=False),
            narrate_by_default=False,
            _env_file=None,  # type: ignore[call-arg]
        )


class _Follower(threading.Thread):
    """Reads one event stream to its end, keeping every line."""

    def __init__(self, client: TestClient, headers: dict[str, str], gid: str) -> None:
        super().__init__(daemon=True)
        self.client, self.headers, self.gid = client, headers, gid
        self.lines: list[str] = []
        self.opened = threading.Event()

    def run(self) -> None:
        path = f"/api/generations/{self.gid}/events"
        with self.client.stream("GET", path, headers=self.headers) as response:
            for line in response.iter_lines():
                self.opened.set()
                self.lines.append(line)


def test_a_stream_waits_out_a_database_outage_and_goes_on(
    proxied_settings: Settings, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "RECHECK_S", 0.2)
    app = create_app(proxied_settings)
    runtime = app.state.runtime
    client = TestClient(app)
    headers = signup(client, "watcher")
    created = client.post("/api/generations", json={"mode": "image", "prompt": "a"}, headers=headers)
    gid = created.json()["id"]  # no consumer runs: it stays queued and its stream open
    follower = _Follower(client, headers, gid)
    follower.start()
    assert follower.opened.wait(30)

    proxy.cut()
    wait_until(lambda: OUTAGE_NOTE in follower.lines, message="the stream to note the outage")
    proxy.mend()
    with runtime.db.write() as session:
        record_event(session, gid, "log", {"message": "after-the-outage"})
    assert client.post(f"/api/generations/{gid}/cancel", headers=headers).status_code == 202
    follower.join(30)

    assert not follower.is_alive(), "the stream did not close when its generation ended"
    noted = follower.lines.index(OUTAGE_NOTE)
    later = follower.lines[noted:]
    assert any("after-the-outage" in line for line in later), later
    assert any("canceled by the user" in line for line in later), later
    runtime.close()
