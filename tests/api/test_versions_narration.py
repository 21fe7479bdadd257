"""Versions of a narrated video: each kept scene's line follows its scene to its new place, with captions.

The story is made offline (local writer, clips and voice); the edits are re-stitched from the stored
clips and recordings, and the lines are found in the new version's sound by correlating each scene's own
recording with the mix, as the pipeline's narration tests do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from reelsmith.media.probe import probe
from reelsmith.media.thumbnail import frames_at
from reelsmith.vocabulary import BREATH_S, NARRATION_PRICE
from tests.api.conftest import wait_done
from tests.api.test_versions import _download, _finished, _versions
from tests.pipeline.test_narration import ONSET_TOLERANCE_S, _onset, _pcm

# Every test makes a narrated story and renders versions of it.
pytestmark = pytest.mark.slow
_CUE = re.compile(r"(\d+):(\d+):(\d+)\.(\d+) --> ")


def _narrated(client: TestClient, headers: dict[str, str], scenes: int, captions: str) -> dict[str, Any]:
    body = {"mode": "story", "prompt": "A lighthouse keeper's last night", "scenes": scenes,
            "aspect_ratio": "1:1", "narration": True, "captions": captions}  # fmt: skip
    made = client.post("/api/generations", json=body, headers=headers)
    assert made.status_code == 202, made.text
    done = wait_done(client, headers, made.json()["id"])
    assert done["status"] == "completed", done["error_message"]
    return dict(done)


def _sha(client: TestClient, headers: dict[str, str], url: str) -> str:
    return str(client.get(f"{url}/info", headers=headers).json()["sha256"])


def _cue_starts(vtt: str) -> list[float]:
    return [int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000 for h, m, s, ms in _CUE.findall(vtt)]


def _spoken_s(scene: dict[str, Any]) -> float:
    return float(max(w["end_s"] for w in scene["words"]))


def _trim_and_reorder(
    client: TestClient, headers: dict[str, str], done: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Version 1, and version 2: scene 1 trimmed (still longer than its line), then the order reversed."""
    gid = done["id"]
    (first,) = _versions(client, headers, gid)
    scenes = done["variants"][0]["scenes"]
    cut = first["cut"]["scenes"]
    # Whole seconds, so the trimmed scene lasts a whole number of frames at any frame rate.
    trimmed = float(int(_spoken_s(scenes[0]) + BREATH_S + 1.0))
    assert trimmed < cut[0]["duration_s"], "the local writer's first scene is too short to trim"
    edit = {
        "scenes": [{"scene_id": cut[0]["scene_id"], "start_s": 0.4, "duration_s": trimmed}],
        "order": [s["scene_id"] for s in reversed(cut)],
    }
    accepted = client.post(f"/api/generations/{gid}/versions", json=edit, headers=headers)
    assert accepted.status_code == 202, accepted.text
    return first, _finished(client, headers, gid, 2)


def test_an_edited_version_speaks_each_line_at_its_scene_s_new_first_frame(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    done = _narrated(client, alice, scenes=3, captions="file")
    _, second = _trim_and_reorder(client, alice, done)
    lines = {s["id"]: s for s in done["variants"][0]["scenes"]}
    video = _download(client, alice, second["video_url"], tmp_path / "v2.mp4")
    final = _pcm(video)
    assert probe(video).duration_s == pytest.approx(second["cut"]["duration_s"], abs=0.1)
    start = 0.0
    for scene in second["cut"]["scenes"]:
        line = lines[scene["scene_id"]]
        assert scene["narration"] == line["narration"]
        speech = _pcm(_download(client, alice, line["speech_url"], tmp_path / f"{scene['scene_id']}.wav"))
        found = _onset(final, speech, start + BREATH_S)
        assert abs(found - (start + BREATH_S)) <= ONSET_TOLERANCE_S, (scene["position"], found, start)
        start += scene["duration_s"]


def test_an_edited_version_s_captions_follow_its_timeline_and_a_restore_brings_back_the_first(
    client: TestClient, alice: dict[str, str]
) -> None:
    done = _narrated(client, alice, scenes=2, captions="file")
    gid = done["id"]
    first, second = _trim_and_reorder(client, alice, done)
    assert first["captions_vtt_url"]
    assert second["captions_vtt_url"]
    assert second["captions_srt_url"]
    old = client.get(first["captions_vtt_url"], headers=alice).text
    new = client.get(second["captions_vtt_url"], headers=alice).text
    lines = {s["id"]: s for s in done["variants"][0]["scenes"]}
    opening = lines[second["cut"]["scenes"][0]["scene_id"]]
    # The new version opens with the line of the scene now first, a breath in.
    assert new.split("\n\n")[1].lower().count(opening["words"][0]["word"].strip(".,!?;:").lower()) >= 1
    assert _cue_starts(new)[0] == pytest.approx(BREATH_S + opening["words"][0]["start_s"], abs=0.05)
    assert new != old
    playing = client.get(f"/api/generations/{gid}", headers=alice).json()
    assert client.get(playing["captions"]["vtt_url"], headers=alice).text == new

    restored = client.post(f"/api/generations/{gid}/versions/{first['id']}/restore", headers=alice)
    assert restored.status_code == 200, restored.text
    playing = client.get(f"/api/generations/{gid}", headers=alice).json()
    assert client.get(playing["captions"]["vtt_url"], headers=alice).text == old
    assert client.get(playing["captions"]["srt_url"], headers=alice).status_code == 200


def test_a_last_scene_trimmed_shorter_than_its_line_holds_its_last_frame_until_the_line_ends(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    done = _narrated(client, alice, scenes=2, captions="file")
    gid = done["id"]
    (first,) = _versions(client, alice, gid)
    cut = first["cut"]["scenes"]
    last = {s["id"]: s for s in done["variants"][0]["scenes"]}[cut[-1]["scene_id"]]
    assert _spoken_s(last) > 1.0
    edit = {"scenes": [{"scene_id": cut[-1]["scene_id"], "duration_s": 1.0}]}
    assert client.post(f"/api/generations/{gid}/versions", json=edit, headers=alice).status_code == 202
    second = _finished(client, alice, gid, 2)

    line_start = cut[0]["duration_s"] + BREATH_S
    video = _download(client, alice, second["video_url"], tmp_path / "held.mp4")
    # The whole line is heard, a breath after its last word, though the scene itself lasts a second.
    assert probe(video).duration_s == pytest.approx(line_start + _spoken_s(last) + BREATH_S, abs=0.1)
    speech = _pcm(_download(client, alice, last["speech_url"], tmp_path / "last.wav"))
    assert abs(_onset(_pcm(video), speech, line_start) - line_start) <= ONSET_TOLERANCE_S
    vtt = client.get(second["captions_vtt_url"], headers=alice).text
    assert last["words"][-1]["word"].strip(".,!?;:").lower() in vtt.lower()


def _revoice(client: TestClient, headers: dict[str, str], gid: str, scene_id: str, line: str) -> None:
    url = f"/api/generations/{gid}/scenes/{scene_id}/narration"
    answer = client.post(url, json={"narration": line}, headers=headers)
    assert answer.status_code == 202, answer.text


def test_a_re_voice_of_an_edited_video_is_a_new_version_keeping_the_edits(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    done = _narrated(client, alice, scenes=2, captions="file")
    gid = done["id"]
    _, second = _trim_and_reorder(client, alice, done)
    balance = int(client.get("/api/me", headers=alice).json()["token_balance"])
    moved = second["cut"]["scenes"][1]  # the story's first scene, trimmed, now second
    line = "The lamp goes dark and the sea keeps its secret."
    _revoice(client, alice, gid, moved["scene_id"], line)
    third = _finished(client, alice, gid, 3)

    assert third["change"] == "Re-voiced scene 2"
    assert third["current"] is True
    kept = [(s["scene_id"], s["start_s"], s["duration_s"]) for s in third["cut"]["scenes"]]
    assert kept == [(s["scene_id"], s["start_s"], s["duration_s"]) for s in second["cut"]["scenes"]]
    assert third["cut"]["scenes"][1]["narration"] == line
    assert int(client.get("/api/me", headers=alice).json()["token_balance"]) == balance - NARRATION_PRICE
    playing = wait_done(client, alice, gid)
    assert playing["status"] == "completed"
    assert _sha(client, alice, playing["video_url"]) == _sha(client, alice, third["video_url"])
    assert "secret" in client.get(playing["captions"]["vtt_url"], headers=alice).text
    scene = next(s for s in playing["variants"][0]["scenes"] if s["id"] == moved["scene_id"])
    speech = _pcm(_download(client, alice, scene["speech_url"], tmp_path / "new.wav"))
    video = _pcm(_download(client, alice, third["video_url"], tmp_path / "v3.mp4"))
    expected = third["cut"]["scenes"][0]["duration_s"] + BREATH_S
    assert abs(_onset(video, speech, expected) - expected) <= ONSET_TOLERANCE_S


def test_a_re_voice_of_an_unedited_video_with_versions_is_recorded_as_a_version(
    client: TestClient, alice: dict[str, str]
) -> None:
    done = _narrated(client, alice, scenes=1, captions="file")
    gid = done["id"]
    (first,) = _versions(client, alice, gid)
    _revoice(client, alice, gid, first["cut"]["scenes"][0]["scene_id"], "Morning comes over a quiet sea.")
    assert wait_done(client, alice, gid)["status"] == "completed"
    newest, oldest = _versions(client, alice, gid)
    assert (newest["number"], newest["change"], newest["current"]) == (2, "Re-voiced scene 1", True)
    assert newest["cut"]["scenes"][0]["narration"] == "Morning comes over a quiet sea."
    assert oldest["captions_vtt_url"] != newest["captions_vtt_url"]


def test_restoring_a_version_from_before_a_re_voice_gives_the_scene_its_line_back(
    client: TestClient, alice: dict[str, str]
) -> None:
    done = _narrated(client, alice, scenes=1, captions="file")
    gid = done["id"]
    (first,) = _versions(client, alice, gid)
    scene_id = first["cut"]["scenes"][0]["scene_id"]
    _revoice(client, alice, gid, scene_id, "Morning comes over a quiet sea.")
    assert wait_done(client, alice, gid)["status"] == "completed"

    restored = client.post(f"/api/generations/{gid}/versions/{first['id']}/restore", headers=alice)
    assert restored.status_code == 200, restored.text
    playing = client.get(f"/api/generations/{gid}", headers=alice).json()
    scene = playing["variants"][0]["scenes"][0]
    assert scene["narration"] == done["variants"][0]["scenes"][0]["narration"]
    assert scene["words"] == done["variants"][0]["scenes"][0]["words"]
    old = client.get(first["captions_vtt_url"], headers=alice).text
    assert client.get(playing["captions"]["vtt_url"], headers=alice).text == old


def _drawn(video: Path, clip: Path, at_s: float) -> int:
    """How many pixels of the video's frame at `at_s` differ from the clip's by far more than encoding."""
    (_, made), *_ = frames_at(video, [at_s])
    (_, source), *_ = frames_at(clip, [at_s])
    a = np.asarray(made.convert("L"), dtype=np.int16)
    b = np.asarray(source.convert("L"), dtype=np.int16)
    return int((np.abs(a - b) > 60).sum())


def test_an_edited_version_of_a_burned_generation_burns_the_captions_of_its_new_timeline(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    done = _narrated(client, alice, scenes=2, captions="burn")
    gid = done["id"]
    (first,) = _versions(client, alice, gid)
    order = [s["scene_id"] for s in reversed(first["cut"]["scenes"])]
    assert (
        client.post(f"/api/generations/{gid}/versions", json={"order": order}, headers=alice).status_code
        == 202
    )
    second = _finished(client, alice, gid, 2)

    opening = second["cut"]["scenes"][0]  # played whole, so its frames are the clip's where nothing is drawn
    words = {s["id"]: s for s in done["variants"][0]["scenes"]}[opening["scene_id"]]["words"]
    video = _download(client, alice, second["video_url"], tmp_path / "v2.mp4")
    clip = _download(client, alice, opening["clip_url"], tmp_path / "clip.mp4")
    spoken_at = BREATH_S + (words[0]["start_s"] + words[0]["end_s"]) / 2
    assert _drawn(video, clip, spoken_at) > 500  # the first word's caption, burned where it is now said
    assert _drawn(video, clip, 0.05) < 200  # before the line starts, nothing is drawn
