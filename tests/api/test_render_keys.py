"""Each render has blobs of its own: an old asset URL never serves a newer render's bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from reelsmith.db.models import Asset, Scene, Variant
from reelsmith.pipeline.clips.windows import prepare_windows
from reelsmith.runtime import Runtime
from tests.api.conftest import wait_done
from tests.support import wait_until


def _old_urls(detail: dict[str, Any]) -> list[str]:
    """The URLs of everything a regeneration of scene 1 replaces: its clip, poster and the final video's."""
    variant = detail["variants"][0]
    scene = variant["scenes"][1]
    urls = [scene["video_url"], scene["thumbnail_url"], detail["video_url"], detail["thumbnail_url"]]
    assert all(urls), urls
    return urls


def _in_use_keys(rt: Runtime, generation_id: str) -> set[str]:
    """Storage keys of the assets the generation's scenes and variants point at."""
    with rt.db.read() as session:
        variants = list(session.scalars(select(Variant).where(Variant.generation_id == generation_id)))
        scenes = list(session.scalars(select(Scene).where(Scene.variant_id.in_([v.id for v in variants]))))
        ids = {v.video_asset_id for v in variants} | {v.thumbnail_asset_id for v in variants}
        ids |= {v.preview_asset_id for v in variants}
        ids |= {v.captions_srt_asset_id for v in variants} | {v.captions_vtt_asset_id for v in variants}
        ids |= {s.clip_asset_id for s in scenes} | {s.thumbnail_asset_id for s in scenes}
        ids |= {s.speech_asset_id for s in scenes}
        return set(session.scalars(select(Asset.storage_key).where(Asset.id.in_(ids - {None}))))


def _stored_keys(rt: Runtime, generation_id: str) -> set[str]:
    """Keys of the blobs in the generation's folder of the local store."""
    root = Path(rt.settings.data_dir, "blobs")
    folder = root / "generations" / generation_id
    return {p.relative_to(root).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_a_regenerated_scene_leaves_old_urls_serving_their_own_bytes_or_gone(
    client: TestClient, alice: dict[str, str]
) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    body = {"mode": "story", "prompt": "A paper boat on a river", "scenes": 2, "aspect_ratio": "1:1"}
    gid = client.post("/api/generations", json=body, headers=alice).json()["id"]
    before = wait_done(client, alice, gid)
    assert before["status"] == "completed"
    old = {}
    for url in _old_urls(before):
        response = client.get(url, headers=alice)
        assert response.status_code == 200
        old[url] = (response.content, response.headers["etag"])
    scene_id = before["variants"][0]["scenes"][1]["id"]
    with rt.db.write() as session:  # a scene renders the same from the same words: change them
        scene = session.get(Scene, scene_id)
        assert scene is not None
        scene.description, scene.on_screen_text = "A red paper boat in a storm at night", "STORM"
    assert client.post(f"/api/scenes/{scene_id}/regenerate", headers=alice).status_code == 202
    after = wait_done(client, alice, gid)
    assert after["status"] == "completed"
    for url, (content, etag) in old.items():
        response = client.get(url, headers=alice)
        assert response.status_code in (200, 404), url
        if response.status_code == 200:
            assert response.headers["etag"] == etag, url
            assert response.content == content, f"{url} serves other bytes under its old ETag"
            assert int(response.headers["content-length"]) == len(content)
    new_clip = client.get(after["variants"][0]["scenes"][1]["video_url"], headers=alice).content
    assert new_clip not in [content for content, _ in old.values()]  # the scene did render anew
    for url in _old_urls(after):  # the new renders are whole and match their own ETag
        response = client.get(url, headers=alice)
        assert response.status_code == 200
        assert response.headers["etag"] == f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    wait_until(
        lambda: _stored_keys(rt, gid) == _in_use_keys(rt, gid),
        timeout_s=30,
        message=lambda: f"blobs {_stored_keys(rt, gid) - _in_use_keys(rt, gid)} left behind",
    )


def _window_keys(rt: Runtime, generation_id: str) -> set[str]:
    """Storage keys of the transition windows made ahead for the generation."""
    with rt.db.read() as session:
        return set(
            session.scalars(
                select(Asset.storage_key).where(
                    Asset.generation_id == generation_id, Asset.kind == "join_window"
                )
            )
        )


def test_windows_made_with_a_replaced_clip_go_with_it(client: TestClient, alice: dict[str, str]) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    body = {"mode": "story", "prompt": "A paper boat on a river", "scenes": 3, "transition": "fade"}
    gid = client.post("/api/generations", json=body, headers=alice).json()["id"]
    before = wait_done(client, alice, gid)
    assert before["status"] == "completed"
    scenes = before["variants"][0]["scenes"]
    # Windows are made ahead only for clips that arrive while others still render; make scene 1's now
    # whatever the arrival order was, as its clip's task would have.
    prepare_windows(rt, scenes[1]["id"])
    assert [k for k in _window_keys(rt, gid) if scenes[1]["video_url"].rsplit("/", 1)[-1] in k]
    replaced = scenes[1]["video_url"].rsplit("/", 1)[-1]
    with rt.db.write() as session:  # a scene renders the same from the same words: change them
        scene = session.get(Scene, scenes[1]["id"])
        assert scene is not None
        scene.description = "A red paper boat in a storm at night"
    assert client.post(f"/api/scenes/{scenes[1]['id']}/regenerate", headers=alice).status_code == 202
    assert wait_done(client, alice, gid)["status"] == "completed"
    assert not [k for k in _window_keys(rt, gid) if replaced in k]
    in_use = _in_use_keys(rt, gid) | _window_keys(rt, gid)
    wait_until(
        lambda: _stored_keys(rt, gid) == in_use,
        timeout_s=30,
        message=lambda: f"blobs {_stored_keys(rt, gid) - in_use} left behind",
    )
