"""Provider webhooks complete clips at once; cancel stops the provider's job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelsmith.config import Settings
from reelsmith.pipeline.clips.webhooks import WEBHOOK_PROVIDERS
from reelsmith.server.app import create_app
from tests.fakes.media import make_mp4
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer
from tests.support import free_port, serve_in_thread, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def replicate(tmp_path: Path) -> Iterator[ReplicateFake]:
    video = make_mp4(tmp_path / "fake.mp4").read_bytes()
    # Polling alone never finishes these jobs: only a webhook (or a cancel) ends them.
    with CdnServer() as cdn, ReplicateFake(video, cdn, polls_needed=1_000_000) as fake:
        yield fake


@pytest.fixture
def server(settings: Settings, replicate: ReplicateFake) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(
        settings.model_copy(
            update={
                "public_url": url,
                "replicate_api_token": "r8_test",
                "replicate_base_url": replicate.base_url,
            }
        ),
        embedded_worker=True,
    )
    with serve_in_thread(app, port=port):
        yield url
    app.state.runtime.close()


def _start(url: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, timeout=30)
    token = client.post("/api/auth/signup", json={"username": "hook", "password": "hook password"}).json()
    client.headers["Authorization"] = f"Bearer {token['access_token']}"
    created = client.post(
        "/api/generations",
        json={
            "mode": "video",
            "prompt": "A lantern on a jetty",
            "duration_s": 4,
            "providers": {"video": "replicate"},
        },
    )
    assert created.status_code == 202, created.text
    return client, str(created.json()["id"])


def _wait(client: httpx.Client, gid: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        data: dict[str, Any] = client.get(f"/api/generations/{gid}").json()
        return data if until(data) else None

    def now() -> str:
        return f"generation {gid} to reach the state; it is {client.get(f'/api/generations/{gid}').text}"

    return wait_until(reached, timeout_s=60, interval_s=0.2, message=now)


def test_webhook_completes_a_clip_that_polling_never_would(server: str, replicate: ReplicateFake) -> None:
    replicate.webhook_after_s = 1.0
    client, gid = _start(server)
    data = _wait(client, gid, lambda d: d["status"] in ("completed", "failed", "canceled"))
    assert data["status"] == "completed", data["error_message"]
    assert data["variants"][0]["scenes"][0]["provider"] == "replicate"
    assert len(replicate.webhooks_sent) == 1
    sent = replicate.calls("create")[0].json()
    assert sent["webhook"].startswith(f"{server}/api/webhooks/replicate/")
    assert sent["webhook_events_filter"] == ["completed"]


@pytest.mark.parametrize("provider", WEBHOOK_PROVIDERS)
def test_unknown_webhook_token_is_404(server: str, provider: str) -> None:
    # Every provider the pipeline asks to call back has a route to call (404: no such job, not 422).
    response = httpx.post(f"{server}/api/webhooks/{provider}/not-a-token", json={"id": "x"})
    assert response.status_code == 404
    assert httpx.post(f"{server}/api/webhooks/nosuch/abc", json={}).status_code == 422


def test_cancel_stops_the_providers_job(server: str, replicate: ReplicateFake) -> None:
    client, gid = _start(server)
    _wait(
        client,
        gid,
        lambda d: d["variants"] and d["variants"][0]["scenes"][0]["status"] in ("submitted", "running"),
    )
    assert client.post(f"/api/generations/{gid}/cancel").status_code == 202
    assert len(replicate.canceled) == 1
    data = client.get(f"/api/generations/{gid}").json()
    assert data["status"] == "canceled"
    assert client.get("/api/me").json()["token_balance"] == 50  # the clip was refunded
