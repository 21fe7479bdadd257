"""The API with its worker in another process: events still stream, over SQLite or Redis queues."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelsmith.config import Settings
from reelsmith.server.app import create_app
from tests.api.conftest import signup, wait_done
from tests.support import require_service

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue_url(request: pytest.FixtureRequest, settings: Settings) -> Iterator[str]:
    if request.param == "sqlite-queue":
        yield settings.effective_queue_url
        return
    base = require_service("REELSMITH_TEST_REDIS_URL")
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield f"{base}?queue={name}"
    import redis

    client = redis.Redis.from_url(base)
    for key in client.scan_iter(f"huey.*{name}*"):
        client.delete(key)


def test_worker_in_another_process_completes_and_streams(
    settings: Settings, queue_url: str, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"queue_url": queue_url})
    env = {
        **os.environ,
        "REELSMITH_DATA_DIR": str(settings.data_dir),
        "REELSMITH_DATABASE_URL": settings.effective_database_url,
        "REELSMITH_QUEUE_URL": queue_url,
    }
    app = create_app(settings)  # no embedded consumer: only the separate worker runs tasks
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "reelsmith", "worker"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with TestClient(app) as client:
            headers = signup(client, "remote")
            created = client.post(
                "/api/generations",
                json={"prompt": "A paper boat on a river", "scenes": 2, "aspect_ratio": "1:1"},
                headers=headers,
            )
            assert created.status_code == 202
            detail = wait_done(client, headers, created.json()["id"])
            assert detail["status"] == "completed", f"{detail['error_message']}\n{log.read_text()}"
            assert client.get(detail["video_url"], headers=headers).status_code == 200
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        app.state.runtime.close()
