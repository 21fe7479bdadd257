"""The local renderer: Reelsmith's offline default "model", turning a scene spec into a short ad-style clip.

One ffmpeg process per clip, filters only: an animated gradient with drifting lights (or Ken Burns motion
over the user's images), the scene's text fading in, and a soft chord as the audio bed. All clips of one
aspect share encoder settings, so the stitcher can join them by stream copy.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from reelsmith.errors import InvalidInput
from reelsmith.media.encode import FPS, audio_args, mp4_args, video_args
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.probe import probe
from reelsmith.media.render.audio_bed import audio_bed
from reelsmith.media.render.backdrop import gradient_backdrop, image_backdrop
from reelsmith.media.render.looks import look_for
from reelsmith.media.render.overlay_text import Frame, text_overlay
from reelsmith.vocabulary import AspectRatio

log = logging.getLogger(__name__)

ASPECT_SIZES: dict[AspectRatio, tuple[int, int]] = {
    AspectRatio.LANDSCAPE: (1280, 720),
    AspectRatio.VERTICAL: (720, 1280),
    AspectRatio.SQUARE: (720, 720),
}
CLIP_CRF = 20
MAX_IMAGES_PER_SCENE = 3
MAX_DURATION_S = 120.0


@dataclass(frozen=True)
class RenderSpec:
    """One scene to render: length, frame shape, seed for the look, text, optional images and camera move."""

    duration_s: float
    aspect: str
    seed: int
    headline: str = ""
    caption: str = ""
    images: tuple[Path, ...] = ()
    camera: str = ""
    scene_index: int = 0
    scene_count: int = 1


@dataclass(frozen=True)
class StillSpec:
    """One still card: frame shape, seed for the look, text and optional reference images."""

    aspect: str
    seed: int
    headline: str = ""
    caption: str = ""
    images: tuple[Path, ...] = ()


def frame_size(aspect: str) -> tuple[int, int]:
    """Output size for an aspect name; InvalidInput for an unknown one."""
    try:
        return ASPECT_SIZES[AspectRatio(aspect)]
    except ValueError:
        raise InvalidInput("aspect", f"must be one of {', '.join(ASPECT_SIZES)}, not {aspect!r}") from None


def clip_frames(duration_s: float) -> int:
    """Number of frames a clip of ``duration_s`` gets at the fixed 30 fps (at least one)."""
    if not 0 < duration_s <= MAX_DURATION_S:
        raise InvalidInput("duration_s", f"must be in (0, {MAX_DURATION_S:g}] seconds, not {duration_s!r}")
    return max(1, round(duration_s * FPS))


def _graph(spec: RenderSpec, size: tuple[int, int], frames: int, workdir: Path) -> str:
    look = look_for(spec.seed)
    duration = frames / FPS
    has_text = bool(spec.headline.strip() or spec.caption.strip())
    if spec.images:
        labels = [f"{i}:v" for i in range(len(spec.images))]
        chains = image_backdrop(labels, spec.seed, size, frames, spec.camera, has_text, "bg")
    else:
        chains = gradient_backdrop(look, spec.seed, size, frames, spec.camera, "bg")
    texts = text_overlay(
        Frame(*size),
        spec.headline,
        spec.caption,
        look.palette.accent,
        duration,
        spec.scene_index,
        spec.scene_count,
        workdir,
        "bg",
        "v",
    )
    chains.extend(texts)
    chains.extend(audio_bed(look, duration, "a"))
    return ";\n".join(chains)


def render_clip(spec: RenderSpec, dest: Path) -> None:
    """Render one scene to an H.264/AAC MP4 at ``dest`` (30 fps CFR, exact duration, stream-copy friendly)."""
    size = frame_size(spec.aspect)
    frames = clip_frames(spec.duration_s)
    images = tuple(Path(p) for p in spec.images[:MAX_IMAGES_PER_SCENE])
    for image in images:
        probe(image)  # a missing or corrupt image fails here with a message naming it
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reelsmith-render-") as tmp:
        workdir = Path(tmp)
        script = workdir / "graph.txt"
        script.write_text(_graph(replace(spec, images=images), size, frames, workdir))
        inputs: list[str] = []
        for image in images:
            inputs += ["-i", str(image)]
        partial = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        try:
            run_ffmpeg(
                [
                    *inputs,
                    "-/filter_complex",
                    str(script),
                    "-map",
                    "[v]",
                    "-map",
                    "[a]",
                    "-frames:v",
                    str(frames),
                    *video_args(crf=CLIP_CRF),
                    *audio_args(),
                    "-t",
                    f"{frames / FPS:.6f}",
                    *mp4_args(),
                    str(partial),
                ],
                timeout_s=120 + frames,
            )
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)
    log.info(
        "rendered %s (%s, %d frames) in %.2f s", dest.name, spec.aspect, frames, time.perf_counter() - started
    )


def render_still(spec: StillSpec, dest: Path) -> tuple[int, int]:
    """Render a PNG card (gradient art or the reference image, with text) at ``dest``; return its size."""
    from reelsmith.media.render.still import draw_still

    size = frame_size(spec.aspect)
    for image in spec.images[:1]:
        probe(Path(image))
    return draw_still(
        size, spec.seed, spec.headline, spec.caption, tuple(Path(p) for p in spec.images), Path(dest)
    )
