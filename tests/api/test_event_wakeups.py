"""Event streams wake when their generation's events commit: in this process, and from other processes
through Redis. The table re-check is pushed out of the way, so only a wake-up can deliver in time."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelsmith.api import events
from reelsmith.config import Settings
from reelsmith.pipeline.progress import record_event
from reelsmith.server.app import create_app
from tests.api.conftest import signup
from tests.support import require_service

# Well inside the 15 s heartbeat, after which a stream re-reads the table whether woken or not.
DELIVERY_WAIT_S = 8.0


def _follow(
    client: TestClient, headers: dict[str, str], gid: str, needle: str
) -> tuple[threading.Event, threading.Event, threading.Thread]:
    opened, seen = threading.Event(), threading.Event()

    def run() -> None:
        with client.stream("GET", f"/api/generations/{gid}/events", headers=headers) as response:
            for line in response.iter_lines():
                opened.set()
                if needle in line:
                    seen.set()
                    return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return opened, seen, thread


def _end(client: TestClient, headers: dict[str, str], gid: str, follower: threading.Thread) -> None:
    """Cancel the generation, so its stream closes and the follower's thread ends with the test."""
    assert client.post(f"/api/generations/{gid}/cancel", headers=headers).status_code == 202
    follower.join(DELIVERY_WAIT_S)
    assert not follower.is_alive(), "the stream did not close when its generation ended"


def _queued_generation(client: TestClient, name: str) -> tuple[dict[str, str], str]:
    headers = signup(client, name)
    created = client.post("/api/generations", json={"mode": "image", "prompt": "a"}, headers=headers)
    return headers, created.json()["id"]  # no consumer runs, so it stays queued and its stream open


def test_a_committed_event_wakes_the_stream(api_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "RECHECK_S", 60.0)
    app = create_app(api_settings)
    runtime = app.state.runtime
    client = TestClient(app)
    headers, gid = _queued_generation(client, "watcher")
    opened, seen, follower = _follow(client, headers, gid, "hello-from-a-worker")
    assert opened.wait(30)
    with runtime.db.write() as session:
        record_event(session, gid, "log", {"message": "hello-from-a-worker"})
    assert seen.wait(DELIVERY_WAIT_S)
    _end(client, headers, gid, follower)
    runtime.close()


def test_events_from_another_process_wake_the_stream_through_redis(
    api_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = require_service("REELSMITH_TEST_REDIS_URL")
    queue_url = f"{base}?queue=wake-{uuid.uuid4().hex[:8]}"
    settings = api_settings.model_copy(update={"queue_url": queue_url})
    monkeypatch.setattr(events, "RECHECK_S", 60.0)
    app = create_app(settings)
    client = TestClient(app)
    headers, gid = _queued_generation(client, "remote-watcher")
    opened, seen, follower = _follow(client, headers, gid, "hello-from-elsewhere")
    assert opened.wait(30)
    writer = (
        "from reelsmith.config import Settings\n"
        "from reelsmith.runtime import build_runtime\n"
        "from reelsmith.pipeline.progress import record_event\n"
        "rt = build_runtime(Settings())\n"
        "with rt.db.write() as session:\n"
        f"    record_event(session, {gid!r}, 'log', {{'message': 'hello-from-elsewhere'}})\n"
        "rt.close()\n"
    )
    env = {
        **os.environ,
        "REELSMITH_DATA_DIR": str(settings.data_dir),
        "REELSMITH_DATABASE_URL": settings.effective_database_url,
        "REELSMITH_QUEUE_URL": queue_url,
    }
    subprocess.run([sys.executable, "-c", writer], env=env, check=True, timeout=60, cwd=tmp_path)
    assert seen.wait(DELIVERY_WAIT_S)
    _end(client, headers, gid, follower)
    app.state.runtime.close()
