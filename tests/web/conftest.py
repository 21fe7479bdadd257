"""Web test fixtures: the in-process client with a cookie session, and a real server for the browser."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelsmith.config import Settings
from reelsmith.server.app import create_app
from tests.support import serve_in_thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_names = itertools.count()


@pytest.fixture
def web(settings: Settings) -> Iterator[TestClient]:
    """A client of the whole app (API + pages) with its queue consumer running in-process."""
    app = create_app(settings.model_copy(update={"generation_rate_per_minute": 1000}), embedded_worker=True)
    with TestClient(app, base_url="http://testserver") as client:
        yield client
    app.state.runtime.close()


@dataclass(frozen=True)
class Browserish:
    """A signed-in cookie session: the client carries the cookie; unsafe calls need `csrf`."""

    username: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        """Headers that make an unsafe request CSRF-clean."""
        return {"X-CSRF-Token": self.csrf}


def sign_in(client: TestClient, name: str | None = None) -> Browserish:
    """Sign up and log in with a cookie session (as the browser does)."""
    username = name or f"web{next(_names)}"
    made = client.post("/api/auth/signup", json={"username": username, "password": "correct horse"})
    assert made.status_code == 201, made.text
    login = client.post("/api/auth/login", json={"username": username, "password": "correct horse"})
    assert login.status_code == 200, login.text
    return Browserish(username, login.json()["csrf_token"])


def bearer(client: TestClient, name: str | None = None) -> dict[str, str]:
    """Sign up; returns bearer headers (no cookie is set)."""
    username = name or f"api{next(_names)}"
    made = client.post("/api/auth/signup", json={"username": username, "password": "correct horse"})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['access_token']}"}


def chromium_or_skip() -> str:
    """The Debian Chromium binary; skipped when missing, a failure when CI=true demands it."""
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing but CI=true requires the browser tests")
    pytest.skip("Chromium not installed (apt-get install -y chromium)")


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """The real app served by uvicorn on a free port (SQLite, embedded worker); yields its base URL."""
    settings = Settings(
        data_dir=tmp_path / "live",
        workers=2,
        generation_rate_per_minute=1000,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings, embedded_worker=True)
    try:
        with serve_in_thread(app) as url:
            yield url
    finally:
        app.state.runtime.close()


def runtime_of(client: TestClient) -> Any:
    """The runtime behind the in-process app."""
    return client.app.state.runtime  # type: ignore[attr-defined]


def user_id(client: TestClient, username: str) -> str:
    """The id of a user, by name."""
    from sqlalchemy import select

    from reelsmith.db.models import User

    with runtime_of(client).db.read() as session:
        return str(session.scalar(select(User.id).where(User.username == username)))


def insert_generation(client: TestClient, owner_id: str, **fields: Any) -> str:
    """A generation row written straight to the database (no rendering), for list and state tests."""
    from reelsmith.db.models import Generation, utcnow

    values: dict[str, Any] = {"mode": "story", "prompt": "A quiet harbour", "status": "completed"}
    values.update(fields)
    if values.get("visibility") == "published":
        values.setdefault("published_at", utcnow())
    with runtime_of(client).db.write() as session:
        gen = Generation(user_id=owner_id, **values)
        session.add(gen)
        session.flush()
        return gen.id


def finished_video(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    """Make a short real video (local provider) and wait for it; returns its detail."""
    body = {"mode": "video", "prompt": "Waves on a black sand beach", "aspect_ratio": "1:1", "duration_s": 2}
    made = client.post("/api/generations", json={**body, **extra}, headers=headers)
    assert made.status_code == 202, made.text
    gid = made.json()["id"]
    with client.stream("GET", f"/api/generations/{gid}/events", headers=headers, timeout=120) as stream:
        for _ in stream.iter_lines():
            pass
    detail: dict[str, Any] = client.get(f"/api/generations/{gid}", headers=headers).json()
    assert detail["status"] == "completed", detail
    return detail
