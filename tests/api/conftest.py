"""API test fixtures: the real app in-process (ASGI), a real consumer, a real database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelsmith.config import Settings
from reelsmith.server.app import create_app

_names = itertools.count()


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    """Settings with a small upload limit so the 413 path is cheap to reach."""
    return settings.model_copy(update={"max_upload_mb": 1, "generation_rate_per_minute": 1000})


@pytest.fixture
def client(api_settings: Settings) -> Iterator[TestClient]:
    """A client of the app with its queue consumer running in-process."""
    app = create_app(api_settings, embedded_worker=True)
    with TestClient(app) as test_client:
        yield test_client
    app.state.runtime.close()


def signup(client: TestClient, name: str | None = None) -> dict[str, str]:
    """Create a user; returns Authorization headers for it."""
    username = name or f"user{next(_names)}"
    response = client.post("/api/auth/signup", json={"username": username, "password": "correct horse"})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def alice(client: TestClient) -> dict[str, str]:
    """Headers of a signed-up user."""
    return signup(client, "alice")


@pytest.fixture
def bob(client: TestClient) -> dict[str, str]:
    """Headers of another signed-up user."""
    return signup(client, "bob")


def wait_done(client: TestClient, headers: dict[str, str], generation_id: str, timeout_s: float = 120) -> Any:
    """Follow the SSE stream until the generation ends; returns the final detail."""
    with client.stream(
        "GET", f"/api/generations/{generation_id}/events", headers=headers, timeout=timeout_s
    ) as response:
        assert response.status_code == 200
        for _ in response.iter_lines():
            pass
    return client.get(f"/api/generations/{generation_id}", headers=headers).json()
