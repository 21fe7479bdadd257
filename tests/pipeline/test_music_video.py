"""Music video mode: the song sets length, scene count and cuts, and is the soundtrack."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from reelsmith.errors import InvalidInput
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.generations.uploads import store_upload
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.loudness import loudness
from reelsmith.media.probe import probe
from reelsmith.pipeline.song import scenes_for_song
from reelsmith.runtime import Runtime
from reelsmith.vocabulary import AspectRatio, Mode
from tests.pipeline.helpers import wait_for_end

BPM = 120


def click_track(dest: Path, seconds: float) -> Path:
    """A tone that swells on every beat at 120 BPM: an easy, exact song."""
    run_ffmpeg([
        "-f", "lavfi", "-i",
        f"sine=f=330:r=48000:d={seconds},volume='if(lt(mod(t,0.5),0.05),1.0,0.1)':eval=frame",
        "-c:a", "pcm_s16le", str(dest),
    ])  # fmt: skip
    return dest


def test_music_video_cuts_on_beats_and_keeps_the_song(rt: Runtime, tmp_path: Path) -> None:
    user = ensure_local_user(rt)
    song = store_upload(rt, user, click_track(tmp_path / "song.wav", 12.0), expect="audio")
    request = GenerationCreate(
        mode=Mode.MUSIC_VIDEO,
        prompt="Neon city night drive",
        aspect_ratio=AspectRatio.SQUARE,
        song_asset_id=song.id,
    )
    gid = create_generation(rt, user, request, bill=False)
    data = wait_for_end(rt, gid)
    assert data["status"] == "completed", data["error_message"]
    assert data["steps"][0]["name"] == "audio"
    lengths = [s["duration_s"] for s in data["variants"][0]["scenes"]]
    assert len(lengths) == scenes_for_song(12.0)
    assert abs(sum(lengths) - 12.0) < 1e-6
    for cut in itertools.accumulate(lengths[:-1]):
        beat = round(cut * BPM / 60) * 60 / BPM
        assert abs(cut - beat) <= 0.04, (cut, lengths)
    final = probe(Path(data["video_path"]))
    assert abs(final.duration_s - 12.0) <= 0.1
    assert abs(loudness(Path(data["video_path"])) + 14.0) <= 1.0


def test_a_music_video_needs_a_song_and_only_an_audio_one(inline_runtime: Runtime, tmp_path: Path) -> None:
    from PIL import Image

    user = ensure_local_user(inline_runtime)
    with pytest.raises(InvalidInput, match="song_asset_id"):
        create_generation(
            inline_runtime, user, GenerationCreate(mode=Mode.MUSIC_VIDEO, prompt="x"), bill=False
        )
    picture = tmp_path / "p.png"
    Image.new("RGB", (8, 8)).save(picture)
    image = store_upload(inline_runtime, user, picture)
    with pytest.raises(InvalidInput, match="not a song"):
        create_generation(
            inline_runtime,
            user,
            GenerationCreate(mode=Mode.MUSIC_VIDEO, prompt="x", song_asset_id=image.id),
            bill=False,
        )


@pytest.mark.parametrize(("seconds", "scenes"), [(2.0, 1), (12.0, 2), (30.0, 6), (200.0, 20), (240.0, 20)])
def test_scene_count_follows_the_song(seconds: float, scenes: int) -> None:
    assert scenes_for_song(seconds) == scenes


@pytest.mark.parametrize("seconds", [1.0, 241.0])
def test_songs_outside_the_limits_are_refused(seconds: float) -> None:
    with pytest.raises(InvalidInput, match="song_asset_id"):
        scenes_for_song(seconds)
