"""Taking a generation away: its ZIP (videos, clips, posters, captions, JSON, conversation) and the writer
conversation alone, for its owner only."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import wait_done
from tests.api.test_generations import _story


@pytest.fixture
def finished(client: TestClient, alice: dict[str, str]) -> dict[str, Any]:
    """A completed, narrated two-scene story of alice's, as the API shows it."""
    detail = wait_done(client, alice, _story(client, alice, narration=True))
    assert detail["status"] == "completed"
    return dict(detail)


def _zip(client: TestClient, headers: dict[str, str], generation_id: str) -> zipfile.ZipFile:
    response = client.get(f"/api/generations/{generation_id}/archive", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None  # every member's CRC checks out
    return archive


def test_the_archive_holds_every_video_poster_and_document(
    client: TestClient, alice: dict[str, str], finished: dict[str, Any]
) -> None:
    archive = _zip(client, alice, finished["id"])
    roles = ("clip.mp4", "poster.jpg", "speech.wav")
    scenes = [f"scenes/default/scene-{n:02d}-{role}" for n in (1, 2) for role in roles]
    expected = {
        "generation.json",
        "conversation.json",
        "conversation.md",
        "final/default-video.mp4",
        "final/default-poster.jpg",
        "final/default-captions.srt",
        "final/default-captions.vtt",
        *scenes,
    }
    assert set(archive.namelist()) == expected
    video = client.get(finished["video_url"], headers=alice).content
    assert archive.read("final/default-video.mp4") == video
    for scene in finished["variants"][0]["scenes"]:
        clip = client.get(scene["video_url"], headers=alice).content
        assert archive.read(f"scenes/default/scene-{scene['index'] + 1:02d}-clip.mp4") == clip
    assert json.loads(archive.read("generation.json")) == finished
    assert json.loads(archive.read("conversation.json")) == finished["conversation"]
    assert archive.getinfo("final/default-video.mp4").compress_type == zipfile.ZIP_STORED


def test_the_captions_and_lines_in_the_archive_are_the_ones_that_play(
    client: TestClient, alice: dict[str, str], finished: dict[str, Any]
) -> None:
    archive = _zip(client, alice, finished["id"])
    for suffix in ("srt", "vtt"):
        served = client.get(finished["captions"][f"{suffix}_url"], headers=alice).content
        assert archive.read(f"final/default-captions.{suffix}") == served
    for scene in finished["variants"][0]["scenes"]:
        spoken = client.get(scene["speech_url"], headers=alice).content
        assert archive.read(f"scenes/default/scene-{scene['index'] + 1:02d}-speech.wav") == spoken


def test_someone_elses_generation_is_not_found(
    client: TestClient, bob: dict[str, str], finished: dict[str, Any]
) -> None:
    for path in ("archive", "conversation", "conversation?format=md"):
        assert client.get(f"/api/generations/{finished['id']}/{path}", headers=bob).status_code == 404
    assert client.get("/api/generations/nope/archive", headers=bob).status_code == 404
    assert client.get(f"/api/generations/{finished['id']}/archive").status_code == 401


def test_the_conversation_exports_as_json_and_markdown(
    client: TestClient, alice: dict[str, str], finished: dict[str, Any]
) -> None:
    base = f"/api/generations/{finished['id']}/conversation"
    as_json = client.get(base, headers=alice)
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json() == finished["conversation"]
    assert len(as_json.json()) == 4

    as_md = client.get(f"{base}?format=md", headers=alice)
    assert as_md.status_code == 200
    assert as_md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert as_md.headers["content-disposition"].endswith('-conversation.md"')
    text = as_md.text
    assert text.startswith("# Writer conversation: ")
    for n, turn in enumerate(finished["conversation"], start=1):
        assert f"## {n}. {turn['task']}" in text
        assert turn["user"] in text

    bad = client.get(f"{base}?format=xml", headers=alice)
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("format")
