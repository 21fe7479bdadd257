"""`reelsmith serve` as an operator runs it: a process that stops on SIGTERM and can log JSON."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import free_port, wait_until

pytestmark = pytest.mark.slow

GRACE_S = 1


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """An API server without a worker (queued work waits), logging JSON, on its own data dir."""
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_")}
    env = {
        **base,
        "REELSMITH_DATA_DIR": str(tmp_path / "data"),
        "REELSMITH_LOG_FORMAT": "json",
        "REELSMITH_SERVER_SHUTDOWN_GRACE_S": str(GRACE_S),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "reelsmith", "serve", "--no-worker", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, timeout_s=60)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _watch(url: str, token: str, generation_id: str, opened: threading.Event) -> None:
    """Follow a generation's events until the server ends the stream (or goes away)."""
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.stream(
            "GET", f"{url}/api/generations/{generation_id}/events", headers=headers, timeout=None
        ) as r:
            opened.set()
            for _ in r.iter_lines():
                pass
    except httpx.HTTPError:
        pass
    finally:
        opened.set()


def test_sigterm_stops_a_server_that_has_open_event_streams(
    server: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = server
    signup = httpx.post(f"{url}/api/auth/signup", json={"username": "watcher", "password": "a long password"})
    assert signup.status_code == 201, signup.text
    token = signup.json()["access_token"]
    created = httpx.post(
        f"{url}/api/generations",
        json={"mode": "video", "prompt": "A paper boat on a puddle", "duration_s": 4},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 202, created.text
    opened = threading.Event()
    watcher = threading.Thread(target=_watch, args=(url, token, created.json()["id"], opened), daemon=True)
    watcher.start()
    assert opened.wait(timeout=30)
    # No worker runs here, so the generation never ends and its stream stays open.
    assert watcher.is_alive()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=GRACE_S + 15)
    assert process.returncode is not None
    # Every line the server logged is one JSON object (uvicorn's own lines included).
    lines = [
        line
        for line in (process.stderr.read() if process.stderr else "").splitlines()
        if line.startswith("{")
    ]
    assert lines
    assert all("message" in json.loads(line) for line in lines)
