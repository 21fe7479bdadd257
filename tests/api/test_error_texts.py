"""Failures show a plain reason where others can look; the full text stays with the owner and the log."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelsmith.db.documents import GenerationParams
from reelsmith.db.models import Generation, Scene
from reelsmith.runtime import Runtime
from tests.api.conftest import signup, wait_done

MISSING_KEY = "REPLICATE_API_TOKEN"  # the replicate provider's setting, unset in tests


def _video(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"mode": "video", "prompt": "Waves on a pier", "duration_s": 2, "aspect_ratio": "1:1", **extra}
    response = client.post("/api/generations", json=body, headers=headers)
    assert response.status_code == 202, response.text
    detail: dict[str, Any] = wait_done(client, headers, response.json()["id"])
    return detail


def _messages(detail: dict[str, Any]) -> str:
    """Every error message of a generation as its API shows it, besides the steps."""
    found = [detail["error_message"] or ""]
    for variant in detail["variants"]:
        found.append(variant["error_message"] or "")
        found += [scene["error_message"] or "" for scene in variant["scenes"]]
    return "\n".join(found)


def _step_errors(detail: dict[str, Any]) -> str:
    return "\n".join(step["error"] or "" for step in detail["steps"])


def _library_page(client: TestClient) -> str:
    """The owner's gallery of cards, through a cookie session (as the browser reads it)."""
    login = client.post("/api/auth/login", json={"username": "alice", "password": "correct horse"})
    assert login.status_code == 200
    try:
        page = client.get("/library")
        assert page.status_code == 200
        return str(page.text)
    finally:
        client.cookies.clear()


def test_a_corrupt_stitch_input_fails_with_a_plain_reason(
    client: TestClient, alice: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    clip = _video(client, alice)
    blob_folder = Path(rt.settings.data_dir, "blobs", "generations", clip["id"])
    for final in blob_folder.rglob("final*.mp4"):
        final.write_bytes(b"not a video any more")
    asset_id = clip["video_url"].rsplit("/", 1)[1]
    caplog.set_level(logging.WARNING)
    job = client.post("/api/stitch", json={"asset_ids": [asset_id, asset_id]}, headers=alice)
    assert job.status_code == 202
    failed = wait_done(client, alice, job.json()["id"])
    assert failed["status"] == "failed"
    data_dir = str(rt.settings.data_dir)
    assert data_dir not in _messages(failed)
    assert failed["error_message"].lower().startswith("stitching")
    assert data_dir in _step_errors(failed)  # the owner's step record keeps the whole story
    assert data_dir in caplog.text
    assert data_dir not in _library_page(client)


def test_a_provider_without_its_key_fails_without_naming_the_setting(
    client: TestClient, alice: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    failed = _video(client, alice, providers={"video": "replicate"})
    assert failed["status"] == "failed"
    assert MISSING_KEY not in _messages(failed)
    assert "the video provider failed" in failed["error_message"]
    assert MISSING_KEY in _step_errors(failed)
    assert MISSING_KEY in caplog.text
    assert MISSING_KEY not in _library_page(client)


def test_public_pages_show_no_detail_of_a_failed_regeneration(
    client: TestClient, alice: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    bob = signup(client, "bob")
    done = _video(client, alice)
    gid = done["id"]
    assert client.post(f"/api/generations/{gid}/publish", headers=alice).status_code == 200
    share = client.post(f"/api/generations/{gid}/share", json={}, headers=alice)
    assert share.status_code == 201, share.text
    with rt.db.write() as session:  # the re-render goes to a provider whose key is not set
        gen = session.get(Generation, gid)
        assert gen is not None
        gen.inputs = GenerationParams.model_validate({**gen.params, "video_provider": "replicate"})
        scene_id = done["variants"][0]["scenes"][0]["id"]
        scene = session.get(Scene, scene_id)
        assert scene is not None
        scene.provider = "replicate"
    caplog.set_level(logging.WARNING)
    assert client.post(f"/api/scenes/{scene_id}/regenerate", headers=alice).status_code == 202
    after = wait_done(client, alice, gid)
    kept = after["variants"][0]["scenes"][0]
    assert kept["error_message"].startswith("regeneration failed, the previous clip is kept")
    assert MISSING_KEY not in _messages(after)
    assert MISSING_KEY in caplog.text
    share_path = "/" + share.json()["url"].split("/", 3)[3]
    for url, headers in [
        (f"/g/{gid}", {}),
        (f"/g/{gid}", bob),
        ("/explore", {}),
        ("/u/alice", {}),
        (share_path, {}),
        ("/api/feed", bob),
        ("/api/users/alice/generations", bob),
    ]:
        page = client.get(url, headers=headers)
        assert page.status_code == 200, url
        assert MISSING_KEY not in page.text, url
        assert str(rt.settings.data_dir) not in page.text, url
