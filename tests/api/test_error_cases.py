"""Requests that used to crash the API: each answers a client error (or is served) instead of a 500."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import wait_done


@pytest.fixture
def stitched(client: TestClient, alice: dict[str, str]) -> dict[str, Any]:
    """A finished stitch job of Alice's that joins one generated clip twice."""
    made = client.post(
        "/api/generations",
        json={"mode": "video", "prompt": "Waves", "duration_s": 2, "aspect_ratio": "1:1"},
        headers=alice,
    )
    assert made.status_code == 202, made.text
    clip = wait_done(client, alice, made.json()["id"])["video_url"].rsplit("/", 1)[1]
    job = client.post("/api/stitch", json={"asset_ids": [clip, clip]}, headers=alice)
    assert job.status_code == 202, job.text
    detail: dict[str, Any] = wait_done(client, alice, job.json()["id"])
    assert detail["status"] == "completed", detail
    return detail


def test_regenerating_a_scene_of_a_stitch_job_is_a_409(
    client: TestClient, alice: dict[str, str], stitched: dict[str, Any]
) -> None:
    scene = stitched["variants"][0]["scenes"][0]
    answer = client.post(f"/api/scenes/{scene['id']}/regenerate", headers=alice)
    assert answer.status_code == 409, answer.text
    assert "stitch" in answer.json()["detail"]
    after = client.get(f"/api/generations/{stitched['id']}", headers=alice).json()
    assert after["status"] == "completed"
    assert after["tokens_charged"] == stitched["tokens_charged"]


@pytest.fixture
def finished(client: TestClient, alice: dict[str, str]) -> dict[str, Any]:
    """A finished generation of Alice's (an image: the quickest kind to make)."""
    made = client.post("/api/generations", json={"mode": "image", "prompt": "A fox"}, headers=alice)
    assert made.status_code == 202, made.text
    detail: dict[str, Any] = wait_done(client, alice, made.json()["id"])
    assert detail["status"] == "completed", detail
    return detail


def _event_ids(client: TestClient, generation_id: str, headers: list[tuple[bytes, bytes]]) -> list[str]:
    """The ids of the events the stream sends with these raw headers (the generation has ended)."""

    async def fetch() -> httpx.Response:
        # The test client re-encodes header values as UTF-8; the ASGI transport passes the bytes through.
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as direct:
            return await direct.get(f"/api/generations/{generation_id}/events", headers=headers, timeout=60)

    response = anyio.run(fetch)
    assert response.status_code == 200, response.text
    return [line for line in response.text.splitlines() if line.startswith("id: ")]


@pytest.mark.parametrize("value", [b"\xb2", b"\xd9\xa3", b"-1", b"1e3", b"9" * 5000])
def test_a_last_event_id_that_is_not_an_ascii_number_is_ignored(
    client: TestClient, alice: dict[str, str], finished: dict[str, Any], value: bytes
) -> None:
    # b"\xb2" arrives as "²" (headers are Latin-1), a digit to str.isdigit() but not to int().
    auth = (b"authorization", alice["Authorization"].encode())
    replayed = _event_ids(client, finished["id"], [auth, (b"last-event-id", value)])
    assert replayed == _event_ids(client, finished["id"], [auth])
    assert replayed


def test_a_last_event_id_past_the_database_integer_range_is_a_422(
    client: TestClient, alice: dict[str, str], finished: dict[str, Any]
) -> None:
    answer = client.get(f"/api/generations/{finished['id']}/events?last_event_id={2**63}", headers=alice)
    assert answer.status_code == 422
