"""Editing a finished video into versions: re-stitched from stored clips, restorable, priced as a stitch."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelsmith.db.models import ProviderCall, Version
from reelsmith.media.probe import probe
from reelsmith.media.thumbnail import frames_at
from reelsmith.vocabulary import STITCH_PRICE
from tests.api.conftest import wait_done
from tests.fakes.media import make_mp4
from tests.support.waiting import wait_until

START = 50  # every new account's tokens
CLIP = 10


def _story(client: TestClient, headers: dict[str, str], scenes: int = 2) -> dict[str, Any]:
    # Unspoken: a trim shorter than a line would lengthen the video (see version_making.py).
    body = {"mode": "story", "prompt": "A lighthouse at dusk", "scenes": scenes, "aspect_ratio": "1:1",
            "narration": False}  # fmt: skip
    made = client.post("/api/generations", json=body, headers=headers)
    assert made.status_code == 202, made.text
    done = wait_done(client, headers, made.json()["id"])
    assert done["status"] == "completed", done
    return dict(done)


def _stitched(client: TestClient, headers: dict[str, str], folder: Path, count: int = 3) -> dict[str, Any]:
    """A finished stitch of `count` one-second uploaded clips: a finished video in a second or two."""
    ids = []
    for n in range(count):
        clip = make_mp4(folder / f"clip{n}.mp4", seconds=1.0)
        upload = client.post(
            "/api/uploads", files={"file": (clip.name, clip.read_bytes(), "video/mp4")}, headers=headers
        )
        assert upload.status_code == 201, upload.text
        ids.append(upload.json()["id"])
    made = client.post("/api/stitch", json={"asset_ids": ids}, headers=headers)
    assert made.status_code == 202, made.text
    done = wait_done(client, headers, made.json()["id"])
    assert done["status"] == "completed", done
    return dict(done)


def _versions(client: TestClient, headers: dict[str, str], gid: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/generations/{gid}/versions", headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _finished(client: TestClient, headers: dict[str, str], gid: str, number: int) -> dict[str, Any]:
    """Poll the versions until version `number` is no longer rendering; returns it."""

    def ended() -> dict[str, Any] | None:
        found = [v for v in _versions(client, headers, gid) if v["number"] == number]
        return found[0] if found and found[0]["status"] != "rendering" else None

    version = wait_until(ended, timeout_s=90, message=f"version {number} to finish")
    assert version["status"] == "completed", version
    return version


def _download(client: TestClient, headers: dict[str, str], url: str, dest: Path) -> Path:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200
    dest.write_bytes(answer.content)
    return dest


def _sha(client: TestClient, headers: dict[str, str], url: str) -> str:
    return str(client.get(f"{url}/info", headers=headers).json()["sha256"])


def _provider_calls(client: TestClient, gid: str) -> int:
    with client.app.state.runtime.db.read() as session:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(ProviderCall).where(ProviderCall.generation_id == gid)
        return int(session.scalar(query) or 0)


def _balance(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/api/me", headers=headers).json()["token_balance"])


def test_the_first_render_is_version_1_and_current(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    done = _stitched(client, alice, tmp_path, count=2)
    (first,) = _versions(client, alice, done["id"])
    assert first["number"] == 1
    assert first["current"] is True
    assert first["change"] == "First render"
    assert first["video_url"]
    assert first["thumbnail_url"]
    assert _sha(client, alice, first["video_url"]) == _sha(client, alice, done["video_url"])
    assert [s["scene_id"] for s in first["cut"]["scenes"]] == [s["id"] for s in done["variants"][0]["scenes"]]
    # Asking again records nothing more.
    assert len(_versions(client, alice, done["id"])) == 1


def test_a_trim_makes_a_new_version_without_a_provider_call_and_the_first_is_restorable(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    done = _story(client, alice)
    gid = done["id"]
    (first,) = _versions(client, alice, gid)
    calls, balance = _provider_calls(client, gid), _balance(client, alice)
    assert calls > 0  # the story's clips were provider calls; the edit adds none
    scene = first["cut"]["scenes"][0]
    edit = {"scenes": [{"scene_id": scene["scene_id"], "duration_s": 1.0, "on_screen_text": "Dusk"}]}
    accepted = client.post(f"/api/generations/{gid}/versions", json=edit, headers=alice)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["number"] == 2
    second = _finished(client, alice, gid, 2)

    assert second["current"] is True
    assert second["change"] == "Changed the text of scene 1; trimmed scene 1 to 1.0 s"
    assert _provider_calls(client, gid) == calls
    assert _balance(client, alice) == balance - STITCH_PRICE * 2
    shortened = first["duration_s"] - (scene["duration_s"] - 1.0)
    assert second["duration_s"] == pytest.approx(shortened, abs=0.1)
    playing = client.get(f"/api/generations/{gid}", headers=alice).json()
    assert _sha(client, alice, playing["video_url"]) == _sha(client, alice, second["video_url"])

    restored = client.post(f"/api/generations/{gid}/versions/{first['id']}/restore", headers=alice)
    assert restored.status_code == 200, restored.text
    assert restored.json()["current"] is True
    playing = client.get(f"/api/generations/{gid}", headers=alice).json()
    assert _sha(client, alice, playing["video_url"]) == _sha(client, alice, first["video_url"])
    video = _download(client, alice, playing["video_url"], tmp_path / "playing.mp4")
    assert probe(video).duration_s == pytest.approx(first["duration_s"], abs=0.05)
    assert [v["current"] for v in _versions(client, alice, gid)] == [False, True]


def _red_clip(dest: Path, seconds: float) -> Path:
    """A solid red clip with a tone, in a frame size of its own (the edit must fit it to the video)."""
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"color=c=red:s=320x240:r=25:d={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=44100:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(dest),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return dest


def test_a_clip_replaced_by_an_upload_plays_in_its_place_for_its_length(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    done = _stitched(client, alice, tmp_path, count=3)
    gid = done["id"]
    (first,) = _versions(client, alice, gid)
    lengths = [s["duration_s"] for s in first["cut"]["scenes"]]
    clip = _red_clip(tmp_path / "red.mp4", 1.5)
    upload = client.post(
        "/api/uploads", files={"file": ("red.mp4", clip.read_bytes(), "video/mp4")}, headers=alice
    )
    assert upload.status_code == 201, upload.text
    middle = first["cut"]["scenes"][1]["scene_id"]
    edit = {"scenes": [{"scene_id": middle, "clip_asset_id": upload.json()["id"]}]}
    assert client.post(f"/api/generations/{gid}/versions", json=edit, headers=alice).status_code == 202
    second = _finished(client, alice, gid, 2)

    scenes = second["cut"]["scenes"]
    assert scenes[1]["scene_id"] == middle
    assert scenes[1]["duration_s"] == pytest.approx(1.5, abs=0.05)
    assert second["duration_s"] == pytest.approx(lengths[0] + 1.5 + lengths[2], abs=0.1)
    video = _download(client, alice, second["video_url"], tmp_path / "second.mp4")
    inside = lengths[0] + 0.75
    (_, picture), *_ = frames_at(video, [inside])
    red, green, blue = picture.convert("RGB").resize((1, 1)).getpixel((0, 0))  # type: ignore[misc]
    assert red > 200
    assert green < 60
    assert blue < 60
    # The scenes around it are the story's own (not red).
    (_, before), *_ = frames_at(video, [lengths[0] / 2])
    assert before.convert("RGB").resize((1, 1)).getpixel((0, 0)) != picture.convert("RGB").resize(
        (1, 1)
    ).getpixel((0, 0))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration_s": 0.1}, "scenes[0].duration_s"),
        ({"duration_s": 60}, "scenes[0].duration_s"),
        ({"start_s": 59}, "scenes[0].start_s"),
    ],
)
def test_a_trim_outside_the_clip_is_a_422_naming_the_field(
    client: TestClient, alice: dict[str, str], tmp_path: Path, change: dict[str, float], field: str
) -> None:
    done = _stitched(client, alice, tmp_path, count=1)
    scene_id = done["variants"][0]["scenes"][0]["id"]
    answer = client.post(
        f"/api/generations/{done['id']}/versions",
        json={"scenes": [{"scene_id": scene_id, **change}]},
        headers=alice,
    )
    assert answer.status_code == 422, answer.text
    assert field in answer.text


def test_a_storyboard_awaiting_approval_has_no_video_to_edit_yet(
    client: TestClient, alice: dict[str, str]
) -> None:
    body = {"mode": "story", "prompt": "A quiet harbour", "scenes": 1, "review": True}
    gid = client.post("/api/generations", json=body, headers=alice).json()["id"]
    assert wait_done(client, alice, gid)["status"] == "awaiting_approval"
    answer = client.post(f"/api/generations/{gid}/versions", json={"transition": "fade"}, headers=alice)
    assert answer.status_code == 409, answer.text


def test_editing_or_restoring_while_a_version_renders_is_a_409(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    done = _stitched(client, alice, tmp_path, count=2)
    gid = done["id"]
    (first,) = _versions(client, alice, gid)
    with client.app.state.runtime.db.write() as session:  # type: ignore[attr-defined]
        # A render in flight, as a worker leaves it while it stitches.
        session.add(
            Version(generation_id=gid, variant_id=first["variant_id"], number=2, status="rendering", cut={})
        )
    edit = client.post(f"/api/generations/{gid}/versions", json={"transition": "fade"}, headers=alice)
    assert edit.status_code == 409, edit.text
    assert "still being made" in edit.json()["detail"]
    restore = client.post(f"/api/generations/{gid}/versions/{first['id']}/restore", headers=alice)
    assert restore.status_code == 409


def test_someone_elses_video_cannot_be_edited_or_listed(
    client: TestClient, alice: dict[str, str], bob: dict[str, str], tmp_path: Path
) -> None:
    done = _stitched(client, alice, tmp_path, count=1)
    gid = done["id"]
    (first,) = _versions(client, alice, gid)
    assert client.get(f"/api/generations/{gid}/versions", headers=bob).status_code == 404
    edit = {"transition": "fade"}
    assert client.post(f"/api/generations/{gid}/versions", json=edit, headers=bob).status_code == 404
    restore = client.post(f"/api/generations/{gid}/versions/{first['id']}/restore", headers=bob)
    assert restore.status_code == 404
