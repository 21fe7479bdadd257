"""Narration in the pipeline: which generations speak, scene lengths that fit their lines, and the
finishing that lays each scene's line over the stitched video and turns the spoken words into captions.

A scene's line starts BREATH_S after the scene's first frame on the final timeline (`scene_starts` knows
where overlapping transitions put it), so the words' times within each speech file, shifted by that
start, are the captions' times: no recogniser runs on the finished video.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelsmith.db.documents import GenerationParams
from reelsmith.pipeline.assets import StoredBlob, sha256_of
from reelsmith.storage import keys
from reelsmith.vocabulary import BREATH_S, NARRATED_MODES, CaptionMode, Mode, Transition

if TYPE_CHECKING:
    from reelsmith.db.models import Scene
    from reelsmith.providers.base import WordTiming
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

# Silence kept after a line that runs into the next scene's, before the next line starts.
LINE_GAP_S = 0.15
SRT_TYPE = "application/x-subrip"
VTT_TYPE = "text/vtt"
_AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg"}


def narrated(mode: str, inputs: GenerationParams) -> bool:
    """Whether a generation's scenes speak (the option, in a mode whose writer writes lines)."""
    return inputs.narration and mode in NARRATED_MODES


def default_narration(mode: Mode) -> bool:
    """Whether a new generation of `mode` is narrated when the request does not say."""
    return mode in NARRATED_MODES


def scene_line(draft: dict[str, Any], narrate: bool) -> str:
    """The spoken line a written scene keeps: the writer's, when the generation is narrated."""
    return str(draft.get("narration") or "").strip() if narrate else ""


def fit_to_lines(scenes: list[dict[str, Any]]) -> None:
    """Lengthen written scenes (in place) that are shorter than their line takes to say, plus a breath."""
    from reelsmith.creative.narration import fit_scene_durations

    lines = [str(s.get("narration") or "") for s in scenes]
    fitted = fit_scene_durations([float(s["duration_s"]) for s in scenes], lines)
    for scene, length in zip(scenes, fitted, strict=True):
        scene["duration_s"] = round(length, 3)


def words_json(words: Sequence[WordTiming]) -> list[dict[str, Any]]:
    """Word timings as the scene row stores them."""
    return [{"word": w.word, "start_s": round(w.start_s, 3), "end_s": round(w.end_s, 3)} for w in words]


def words_of(rows: Sequence[dict[str, Any]] | None) -> tuple[WordTiming, ...]:
    """The scene row's word timings as values."""
    from reelsmith.providers.base import WordTiming

    return tuple(WordTiming(str(r["word"]), float(r["start_s"]), float(r["end_s"])) for r in rows or ())


# ---- Keys and stored files -------------------------------------------------------------------------


def speech_key(generation_id: str, variant: str, index: int, suffix: str) -> str:
    """Key of one recording of a scene's line (a re-voice gets a key of its own)."""
    name = f"scene_{index}_{keys.render_id()}_speech{suffix}"
    return f"{keys.generation_prefix(generation_id)}{variant}/{name}"


def captions_key(generation_id: str, variant: str, render: str, suffix: str) -> str:
    """Key of a variant's captions as a file (`.srt`, `.vtt`), named after the render they belong to."""
    return f"{keys.generation_prefix(generation_id)}{variant}/final_{render}_captions{suffix}"


def audio_type(suffix: str) -> str:
    """The content type of a speech file by its suffix."""
    return _AUDIO_TYPES.get(suffix, "application/octet-stream")


def store_file(
    rt: Runtime, key: str, path: Path, content_type: str, duration_s: float | None = None
) -> StoredBlob:
    """Store a produced file that needs no probing (speech, captions)."""
    size = rt.blobs.put_file(key, path, content_type)
    return StoredBlob(key, content_type, size, sha256_of(path), duration_s=duration_s)


# ---- Finishing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpokenScene:
    """A narrated scene as the finishing needs it: its speech file's key and its words' timings."""

    speech_key: str
    words: tuple[WordTiming, ...]


@dataclass(frozen=True)
class NarrationPlan:
    """Everything the finishing needs to narrate one variant's stitched video."""

    clip_lengths: tuple[float, ...]  # each scene's clip, in seconds, in order
    spoken: tuple[SpokenScene | None, ...]  # per scene: its line, or None for a silent scene
    transition: str
    transition_s: float
    captions: CaptionMode
    caption_style: str


@dataclass(frozen=True)
class NarratedFinal:
    """The finished video with its narration (and burned captions), and the captions as files."""

    video: Path
    srt: Path | None
    vtt: Path | None


def plan_for(
    scenes: Sequence[Scene],
    clip_lengths: Sequence[float],
    speech_keys: dict[str, str],
    inputs: GenerationParams,
) -> NarrationPlan | None:
    """The narration of a variant about to be stitched; None when none of its scenes speaks."""
    spoken: list[SpokenScene | None] = []
    for scene in scenes:
        key = speech_keys.get(scene.speech_asset_id or "")
        spoken.append(SpokenScene(key, words_of(scene.words)) if scene.narration and key else None)
    if not any(spoken):
        return None
    return NarrationPlan(
        clip_lengths=tuple(clip_lengths),
        spoken=tuple(spoken),
        transition=inputs.transition,
        transition_s=inputs.transition_s,
        captions=inputs.captions,
        caption_style=inputs.caption_style,
    )


def line_starts(plan: NarrationPlan) -> list[float]:
    """Where each scene's line starts on the final timeline: its first frame plus a breath.

    A line never starts before the one ahead of it has ended (plus LINE_GAP_S): a clip delivered
    shorter than its scene asked for (a provider's fixed lengths, a clip swapped by hand) would
    otherwise have two lines spoken at once. Such a line starts late, and says so in the log.
    """
    from reelsmith.media.narration import scene_starts

    overlap = plan.transition_s if plan.transition != Transition.NONE else 0.0
    starts: list[float] = []
    free_from = 0.0
    for index, (first_frame, scene) in enumerate(
        zip(scene_starts(plan.clip_lengths, overlap), plan.spoken, strict=True)
    ):
        start = first_frame + BREATH_S
        if scene is not None:
            if start < free_from:
                log.warning(
                    "scene %d's line starts %.2f s late: the line ahead runs long", index, free_from - start
                )
                start = free_from
            free_from = start + spoken_length(scene) + LINE_GAP_S
        starts.append(start)
    return starts


def spoken_length(scene: SpokenScene) -> float:
    """Seconds from the start of a scene's recording to the end of its last word."""
    return max((w.end_s for w in scene.words), default=0.0)


def video_length(plan: NarrationPlan) -> float:
    """The stitched video's length: the clips less the overlaps of their transitions."""
    overlap = plan.transition_s if plan.transition != Transition.NONE else 0.0
    return sum(plan.clip_lengths) - overlap * (len(plan.clip_lengths) - 1)


def spoken_end(plan: NarrationPlan) -> float:
    """Where the last spoken word ends on the final timeline (0 when nothing is said)."""
    ends = [
        start + spoken_length(scene)
        for start, scene in zip(line_starts(plan), plan.spoken, strict=True)
        if scene is not None
    ]
    return max(ends, default=0.0)


def overrun(plan: NarrationPlan) -> float:
    """How much longer than the video the lines need, a breath after the last word included (0: they fit).

    A cut whose scenes were trimmed shorter than their lines runs each line on into the next scene
    (`line_starts`); whatever the last line still needs past the video's end, the video must add (an
    edited version holds its last frame), or the line would be cut mid-word.
    """
    return max(0.0, spoken_end(plan) + BREATH_S - video_length(plan))


def timeline_words(plan: NarrationPlan) -> list[WordTiming]:
    """Every spoken word with its time on the final video's timeline (none past the video's end)."""
    from reelsmith.providers.base import WordTiming

    end = video_length(plan)
    words: list[WordTiming] = []
    for start, scene in zip(line_starts(plan), plan.spoken, strict=True):
        if scene is not None:
            words.extend(
                WordTiming(w.word, w.start_s + start, min(w.end_s + start, end))
                for w in scene.words
                if w.start_s + start < end
            )
    return words


def narrate(rt: Runtime, stitched: Path, plan: NarrationPlan, tmp: Path, stack: ExitStack) -> NarratedFinal:
    """Mix the lines over the stitched video, then write (and burn, if asked) the captions."""
    from reelsmith.media.captions.burn import CaptionStyle, burn_captions
    from reelsmith.media.captions.cues import caption_cues, to_srt, to_vtt
    from reelsmith.media.narration import NarrationLine, mix_narration

    end = video_length(plan)
    lines = [
        NarrationLine(stack.enter_context(rt.blobs.local_path(scene.speech_key)), start)
        for start, scene in zip(line_starts(plan), plan.spoken, strict=True)
        # A line pushed past the video's end by the ones ahead of it is not heard at all.
        if scene is not None and start < end
    ]
    mixed = tmp / "narrated.mp4"
    if lines:
        mix_narration(stitched, lines, mixed)
    else:
        mixed = stitched
    if plan.captions == CaptionMode.OFF:
        return NarratedFinal(mixed, None, None)
    cues = caption_cues(timeline_words(plan))
    srt, vtt = tmp / "captions.srt", tmp / "captions.vtt"
    srt.write_text(to_srt(cues), encoding="utf-8")
    vtt.write_text(to_vtt(cues), encoding="utf-8")
    if plan.captions == CaptionMode.FILE or not cues:
        return NarratedFinal(mixed, srt, vtt)
    burned = tmp / "captioned.mp4"
    burn_captions(mixed, cues, burned, style=CaptionStyle(plan.caption_style))
    return NarratedFinal(burned, srt, vtt)


def store_captions(
    rt: Runtime, generation_id: str, variant: str, render: str, final: NarratedFinal
) -> dict[str, Any]:
    """Store the captions files of a narrated final video; their blobs as the step output records them."""
    stored: dict[str, Any] = {}
    for name, path, content_type in (("srt", final.srt, SRT_TYPE), ("vtt", final.vtt, VTT_TYPE)):
        if path is not None:
            key = captions_key(generation_id, variant, render, f".{name}")
            stored[name] = dataclasses.asdict(store_file(rt, key, path, content_type))
    return stored
