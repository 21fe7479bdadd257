"""The narration fields of the HTTP API: asked for on creation, read back per scene, and a line re-voiced."""

from __future__ import annotations

from fastapi.testclient import TestClient

from reelsmith.vocabulary import NARRATION_PRICE
from tests.api.conftest import wait_done


def test_a_narrated_generation_reads_back_its_lines_words_and_captions(
    client: TestClient, alice: dict[str, str]
) -> None:
    body = {"prompt": "A lighthouse keeper's last night", "scenes": 1, "narration": True, "voice": "joe",
            "captions": "file"}  # fmt: skip
    created = client.post("/api/generations", json=body, headers=alice)
    assert created.status_code == 202, created.text
    data = wait_done(client, alice, created.json()["id"])
    assert data["status"] == "completed", data["error_message"]
    assert (data["narration"], data["voice"], data["caption_mode"]) == (True, "joe", "file")
    scene = data["variants"][0]["scenes"][0]
    assert scene["narration"]
    assert scene["voice"] == "joe"
    assert scene["speech_url"]
    assert {"word", "start_s", "end_s"} == set(scene["words"][0])
    vtt = client.get(data["captions"]["vtt_url"], headers=alice)
    assert vtt.status_code == 200
    assert vtt.text.startswith("WEBVTT")
    assert client.get(data["captions"]["srt_url"], headers=alice).status_code == 200
    assert "srt_path" not in data["captions"]  # local paths are the CLI's only

    balance = client.get("/api/me", headers=alice).json()["token_balance"]
    url = f"/api/generations/{data['id']}/scenes/{scene['id']}/narration"
    revoiced = client.post(url, json={"narration": "The lamp is out; the sea keeps watch."}, headers=alice)
    assert revoiced.status_code == 202, revoiced.text
    after = wait_done(client, alice, data["id"])
    assert after["status"] == "completed"
    assert after["variants"][0]["scenes"][0]["narration"] == "The lamp is out; the sea keeps watch."
    assert client.get("/api/me", headers=alice).json()["token_balance"] == balance - NARRATION_PRICE


def test_narration_options_are_checked_and_named(client: TestClient, alice: dict[str, str]) -> None:
    song_mode = client.post(
        "/api/generations", json={"mode": "music_video", "prompt": "x", "narration": True}, headers=alice
    )
    assert song_mode.status_code == 422
    assert "narration" in song_mode.text
    voice = client.post("/api/generations", json={"prompt": "x", "voice": "nobody-here"}, headers=alice)
    assert voice.status_code == 422
    assert "voice" in voice.text
    captions = client.post("/api/generations", json={"prompt": "x", "captions": "loud"}, headers=alice)
    assert captions.status_code == 422
    assert "captions" in captions.text


def test_the_voices_are_listed_with_a_playable_sample(client: TestClient, alice: dict[str, str]) -> None:
    listed = client.get("/api/voices", headers=alice).json()
    assert listed[0]["provider"] == "local"
    assert listed[0]["voices"][0]["name"]
    sample = client.get("/api/voices/sample", params={"voice": listed[0]["voices"][0]["name"]}, headers=alice)
    assert sample.status_code == 200
    assert sample.headers["content-type"] == "audio/wav"
    assert sample.content[:4] == b"RIFF"
    again = client.get("/api/voices/sample", params={"voice": listed[0]["voices"][0]["name"]}, headers=alice)
    assert again.content == sample.content  # served from the store, not spoken again
