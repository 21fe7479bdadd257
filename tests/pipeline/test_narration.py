"""Narrated generations end to end on the embedded defaults: the offline voice, real ffmpeg, a real database.

Each scene's line is spoken by the local (Piper) voice beside its clip, mixed over the stitched video at
the scene's first frame plus a breath, and written out as captions (files, and burned in when asked).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from reelsmith.accounts.service import create_user
from reelsmith.config import Settings
from reelsmith.db.models import Asset, Generation, LedgerEntry, ProviderCall, Scene, User
from reelsmith.errors import InvalidInput, WrongState
from reelsmith.generations.reading import read_fresh
from reelsmith.generations.revoice import revoice_scene
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.generations.uploads import store_upload
from reelsmith.media.ffmpeg import ffmpeg_pipe
from reelsmith.media.loudness import loudness
from reelsmith.media.probe import probe
from reelsmith.pipeline.narration import LINE_GAP_S, NarrationPlan, SpokenScene, line_starts, timeline_words
from reelsmith.providers.base import WordTiming
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import (
    BREATH_S,
    NARRATION_PRICE,
    AspectRatio,
    CaptionMode,
    Intensity,
    Mode,
    Transition,
)
from tests.pipeline.test_ad_clone import source_ad

RATE = 16000
# How far the narration of a scene may start from its scene's first frame plus the breath.
ONSET_TOLERANCE_S = 0.05


def _story(rt: Runtime, user: str, *, bill: bool = False, **options: object) -> str:
    request = GenerationCreate.model_validate(
        {
            "prompt": "A lighthouse keeper's last night",
            "scenes": 2,
            "aspect_ratio": AspectRatio.VERTICAL,
            **options,
        }
    )
    return create_generation(rt, user, request, bill=bill)


def _pcm(path: Path) -> np.ndarray:
    """The file's audio as mono float samples at RATE."""
    raw = ffmpeg_pipe(["-i", str(path), "-vn", "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"])
    return np.frombuffer(raw, dtype=np.float32)


def _onset(final: np.ndarray, speech: np.ndarray, expected_s: float) -> float:
    """Where `speech` sits in `final` near `expected_s`: the lag of their best normalised correlation."""
    lo = max(0, int((expected_s - 0.5) * RATE))
    window = final[lo : lo + len(speech) + RATE]
    best, best_lag = -1.0, 0
    for lag in range(0, len(window) - len(speech), 8):
        part = window[lag : lag + len(speech)]
        score = float(np.dot(part, speech) / (np.linalg.norm(part) * np.linalg.norm(speech) + 1e-9))
        if score > best:
            best, best_lag = score, lag
    for lag in range(max(0, best_lag - 8), min(len(window) - len(speech), best_lag + 8)):
        part = window[lag : lag + len(speech)]
        score = float(np.dot(part, speech) / (np.linalg.norm(part) * np.linalg.norm(speech) + 1e-9))
        if score > best:
            best, best_lag = score, lag
    return (lo + best_lag) / RATE


def test_a_narrated_story_speaks_each_scene_at_its_first_frame_with_burned_captions(
    inline_runtime: Runtime,
) -> None:
    rt = inline_runtime
    gid = _story(rt, ensure_local_user(rt), narration=True, captions="burn", transition=Transition.FADE)
    data = read_fresh(rt, gid)
    assert data.status == "completed", data.error_message
    assert data.narration
    assert data.caption_mode == CaptionMode.BURN
    scenes = data.variants[0].scenes
    assert all(s.narration and s.speech_url and s.words and s.voice for s in scenes)
    assert data.captions is not None
    assert data.captions.srt_url
    assert data.captions.vtt_url
    with rt.db.read() as session:
        calls = list(session.scalars(select(ProviderCall).where(ProviderCall.operation == "speech")))
        keys = {a.id: a.storage_key for a in session.scalars(select(Asset).where(Asset.generation_id == gid))}
        gen = session.get(Generation, gid)
        assert gen is not None
        video_key = keys[gen.variants[0].video_asset_id or ""]
        vtt_key = keys[gen.variants[0].captions_vtt_asset_id or ""]
    assert sorted(str(c.scene_id) for c in calls) == sorted(s.id for s in scenes)  # one speech call per scene
    with rt.blobs.local_path(vtt_key) as vtt:
        text = vtt.read_text()
    assert text.startswith("WEBVTT")
    assert scenes[0].words[0].word.strip(".,!?").lower() in text.lower()
    with rt.blobs.local_path(video_key) as video:
        assert abs(loudness(video) - (-14.0)) <= 1.0
        final = _pcm(video)
        assert probe(video).duration_s == pytest.approx(sum(s.duration_s for s in scenes) - 0.5, abs=0.3)
    start = 0.0
    for scene in scenes:
        with rt.blobs.local_path(keys[str(scene.speech_url).rsplit("/", 1)[-1]]) as speech_file:
            speech = _pcm(speech_file)
        found = _onset(final, speech, start + BREATH_S)
        print(f"scene {scene.index}: narration at {found:.3f} s, expected {start + BREATH_S:.3f} s")
        assert abs(found - (start + BREATH_S)) <= ONSET_TOLERANCE_S
        start += scene.duration_s - 0.5  # each fade overlaps the next scene by its length


def test_scenes_last_at_least_as_long_as_their_lines_take_to_say(inline_runtime: Runtime) -> None:
    from reelsmith.creative.narration import fits

    gid = _story(inline_runtime, ensure_local_user(inline_runtime), narration=True, captions="off")
    data = read_fresh(inline_runtime, gid)
    assert data.status == "completed", data.error_message
    assert data.captions is None  # captions off: no files
    for scene in data.variants[0].scenes:
        assert fits(scene.duration_s, scene.narration)
        assert scene.words[-1].end_s + BREATH_S <= scene.duration_s + 0.5


def test_without_narration_nothing_is_spoken(inline_runtime: Runtime) -> None:
    rt = inline_runtime
    gid = _story(rt, ensure_local_user(rt), narration=False, captions="burn")
    data = read_fresh(rt, gid)
    assert data.status == "completed", data.error_message
    assert not data.narration
    assert data.caption_mode == CaptionMode.OFF
    assert data.captions is None
    assert all(s.narration == "" and s.speech_url is None and s.words == [] for s in data.variants[0].scenes)
    with rt.db.read() as session:
        assert session.scalars(select(ProviderCall).where(ProviderCall.operation == "speech")).first() is None
        kinds = {a.kind for a in session.scalars(select(Asset).where(Asset.generation_id == gid))}
    assert not kinds & {"speech", "captions_srt", "captions_vtt"}


def test_a_narrated_ad_clone_speaks_its_variant_with_captions(settings: Settings, tmp_path: Path) -> None:
    # As shipped (the tests' settings make silence the default), an ad clone speaks unless asked not to.
    rt = build_runtime(settings.model_copy(update={"narrate_by_default": True}), inline=True)
    try:
        with rt.db.write() as session:
            user = create_user(session, "adder", None, tokens=100).id
        source = store_upload(rt, user, source_ad(tmp_path / "source.mp4"), expect="video")
        request = GenerationCreate(
            mode=Mode.AD_CLONE,
            prompt="Sparkling water with a twist of lime",
            source_asset_id=source.id,
            variants=[Intensity.SOFT],
        )
        data = read_fresh(rt, create_generation(rt, user, request))
    finally:
        rt.close()
    assert data.status == "completed", data.error_message
    assert data.narration  # on by default for ad clones
    assert data.caption_mode == CaptionMode.FILE
    variant = data.variants[0]
    assert len(variant.scenes) == 4
    assert all(s.narration and s.words for s in variant.scenes)
    assert variant.captions is not None
    assert variant.captions.srt_url
    assert variant.captions.vtt_url


@pytest.mark.parametrize("mode", [Mode.MUSIC_VIDEO, Mode.IMAGE, Mode.VIDEO])
def test_modes_without_a_writer_of_lines_refuse_narration(mode: Mode) -> None:
    with pytest.raises(ValueError, match="has no narration"):
        GenerationCreate(mode=mode, prompt="x", narration=True)


def _user_with_tokens(rt: Runtime, tokens: int) -> str:
    with rt.db.write() as session:
        return create_user(session, "voicer", None, tokens=tokens).id


def test_revoicing_a_line_charges_a_little_and_renders_no_clip(inline_runtime: Runtime) -> None:
    rt = inline_runtime
    user = _user_with_tokens(rt, 100)
    gid = _story(rt, user, bill=True, narration=True, captions="file")
    before = read_fresh(rt, gid)
    assert before.status == "completed", before.error_message
    scene = before.variants[0].scenes[1]
    with rt.db.read() as session:
        balance = session.get(User, user).token_balance  # type: ignore[union-attr]
        submits = session.scalars(select(ProviderCall).where(ProviderCall.operation != "speech")).all()
    revoice_scene(rt, gid, scene.id, user, "The lamp goes dark and the sea keeps its secret.")
    after = read_fresh(rt, gid)
    assert after.status == "completed", after.error_message
    changed = after.variants[0].scenes[1]
    assert changed.narration == "The lamp goes dark and the sea keeps its secret."
    assert changed.speech_url != scene.speech_url
    assert changed.words != scene.words
    assert [s.video_url for s in after.variants[0].scenes] == [s.video_url for s in before.variants[0].scenes]
    assert after.video_url != before.video_url
    assert after.captions != before.captions
    with rt.db.read() as session:
        assert session.get(User, user).token_balance == balance - NARRATION_PRICE  # type: ignore[union-attr]
        assert len(
            session.scalars(select(ProviderCall).where(ProviderCall.operation != "speech")).all()
        ) == len(submits)  # no clip (and no writer call) was made again
        # The replaced line was released.
        assert session.get(Asset, str(scene.speech_url).rsplit("/", 1)[-1]) is None


def test_a_revoice_that_cannot_be_spoken_keeps_the_previous_line_and_refunds(inline_runtime: Runtime) -> None:
    rt = inline_runtime
    user = _user_with_tokens(rt, 100)
    gid = _story(rt, user, bill=True, narration=True, captions="file")
    before = read_fresh(rt, gid)
    scene = before.variants[0].scenes[0]
    with rt.db.write() as session:
        # The line's speech provider chain is one that cannot speak here (ElevenLabs with no key).
        gen = session.get(Generation, gid)
        assert gen is not None
        gen.params = {**gen.params, "speech_provider": "elevenlabs"}
        balance = session.get(User, user).token_balance  # type: ignore[union-attr]
    revoice_scene(rt, gid, scene.id, user, "A new line that no provider will say.")
    after = read_fresh(rt, gid)
    assert after.status == "completed"
    kept = after.variants[0].scenes[0]
    assert (kept.narration, kept.speech_url) == (scene.narration, scene.speech_url)
    assert kept.error_message
    assert "re-voicing failed" in kept.error_message
    assert after.video_url == before.video_url
    with rt.db.read() as session:
        assert session.get(User, user).token_balance == balance  # type: ignore[union-attr]
        refunds = session.scalars(
            select(LedgerEntry).where(LedgerEntry.generation_id == gid, LedgerEntry.reason == "refund")
        ).all()
    assert [r.delta for r in refunds] == [NARRATION_PRICE]


def test_a_revoice_needs_words_and_a_narrated_finished_generation(inline_runtime: Runtime) -> None:
    rt = inline_runtime
    user = ensure_local_user(rt)
    silent = _story(rt, user, narration=False)
    scene = read_fresh(rt, silent).variants[0].scenes[0]
    with pytest.raises(InvalidInput, match="narration"):
        revoice_scene(rt, silent, scene.id, user, " ... ")
    with pytest.raises(WrongState, match="not narrated"):
        revoice_scene(rt, silent, scene.id, user, "Hello there.")
    with rt.db.read() as session:
        assert session.get(Scene, scene.id) is not None


def _spoken(seconds: float) -> SpokenScene:
    """A scene's line whose one word is heard for `seconds`."""
    return SpokenScene("speech.wav", (WordTiming("line", 0.0, seconds),))


def test_a_line_never_starts_before_the_one_ahead_has_ended() -> None:
    # The first clip came back 2 s long but its line takes 3 s: the second line waits for it.
    plan = NarrationPlan(
        clip_lengths=(2.0, 4.0, 4.0),
        spoken=(_spoken(3.0), _spoken(1.0), _spoken(1.0)),
        transition=Transition.NONE,
        transition_s=0.0,
        captions=CaptionMode.FILE,
        caption_style="bold",
    )
    starts = line_starts(plan)
    assert starts[0] == pytest.approx(BREATH_S)
    assert starts[1] == pytest.approx(BREATH_S + 3.0 + LINE_GAP_S)  # late, not on top of the first
    assert starts[2] == pytest.approx(6.0 + BREATH_S)  # back on its own scene's first frame
    words = timeline_words(plan)
    assert all(a.end_s <= b.start_s for a, b in pairwise(words))


def test_words_past_the_video_s_end_are_not_captioned() -> None:
    plan = NarrationPlan(
        clip_lengths=(2.0,),
        spoken=(
            SpokenScene(
                "s.wav",
                (WordTiming("heard", 0.0, 1.0), WordTiming("cut", 1.5, 2.5), WordTiming("unheard", 1.8, 2.6)),
            ),
        ),
        transition=Transition.NONE,
        transition_s=0.0,
        captions=CaptionMode.FILE,
        caption_style="bold",
    )
    assert [(w.word, w.end_s) for w in timeline_words(plan)] == [("heard", 1.0 + BREATH_S), ("cut", 2.0)]


def test_a_line_whose_recording_meets_a_storage_outage_is_spoken_again(
    inline_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reelsmith.pipeline import speech_task
    from reelsmith.storage.base import StorageUnavailable

    real_store = speech_task.store_file  # type: ignore[attr-defined]
    outages = [StorageUnavailable("storage unreachable while storing a line")]

    def store_after_an_outage(*args: Any, **kwargs: Any) -> Any:
        if outages:
            raise outages.pop()
        return real_store(*args, **kwargs)

    # The first recording meets an unreachable bucket; everything else is the real pipeline.
    monkeypatch.setattr(speech_task, "store_file", store_after_an_outage)
    monkeypatch.setattr(speech_task, "OUTAGE_RETRY_S", 0.01)
    gid = _story(inline_runtime, ensure_local_user(inline_runtime), narration=True, captions="off")
    data = read_fresh(inline_runtime, gid)
    assert not outages
    assert data.status == "completed", data.error_message
    assert all(s.speech_url for s in data.variants[0].scenes)
