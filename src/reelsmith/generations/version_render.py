"""The media work of a version: bring the scenes of a cut to the house format where they change, stitch.

A scene that plays its whole clip with nothing drawn on it goes to the stitch as it is stored, so the
stitch copies it; only a trimmed scene, a scene with new text, or an uploaded clip is encoded again
(near-transparent, in the format of the generation's own clips, which keeps the join a copy).
The steps are separate functions so that a narrated cut can have its lines mixed in between the stitch
and the poster (see `version_making.py`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reelsmith.media.filters import filter_value
from reelsmith.media.probe import probe
from reelsmith.media.render.text_layout import fit_text, font_path
from reelsmith.media.stitch import stitch
from reelsmith.media.stitch.house import house_target
from reelsmith.media.stitch.normalise import Target, encode_span, normalise_clip
from reelsmith.media.stitch.scan import scan_clip
from reelsmith.pipeline.cut import Cut, CutScene

# Integrated loudness of every final video (the same level the pipeline's stitch gives).
FINAL_LUFS = -14.0
PREVIEW_WIDTH = 320


@dataclass(frozen=True)
class RenderedCut:
    """The files a version's render wrote into its work folder."""

    video: Path
    poster: Path
    poster_size: tuple[int, int]
    preview: Path
    preview_size: tuple[int, int]


def target_of(clip: Path) -> Target:
    """The house format of a stored clip: the frame every changed scene of its cut is brought to."""
    return house_target(scan_clip(clip))


def bring_in(upload: Path, target: Target, dest: Path) -> float:
    """Encode an uploaded clip into the cut's format at `dest` (whole); returns its length."""
    info = probe(upload)
    normalise_clip(upload, info, target, dest)
    return probe(dest).duration_s


def _text_filters(text: str, target: Target, workdir: Path, name: str) -> list[str]:
    """drawtext filters putting `text` in a dark band across the lower third (lines read from files)."""
    short_side = min(target.width, target.height)
    size = max(14, round(short_side * 0.06))
    block = fit_text(text, max_width=target.width * 0.86, size=size, min_size=max(12, round(size * 0.6)))
    font = filter_value(str(font_path()))
    step = block.line_height
    top = round(target.height * 0.78) - step * (len(block.lines) - 1)
    pad = max(6, round(block.size * 0.35))
    filters = []
    for n, line in enumerate(block.lines):
        path = workdir / f"{name}_{n}.txt"
        path.write_text(line, encoding="utf-8")
        filters.append(
            f"drawtext=fontfile={font}:textfile={filter_value(str(path))}:expansion=none"
            f":fontsize={block.size}:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw={pad}"
            f":x=(w-text_w)/2:y={top + n * step}"
        )
    return filters


def prepare_scene(
    clip: Path, scene: CutScene, target: Target, dest: Path, workdir: Path, hold_s: float = 0.0
) -> None:
    """Write the scene's span of `clip`, with its text drawn on, in the target format to `dest`.

    `hold_s` holds the span's last frame (over silence) that much longer: the last scene of a narrated
    cut is held until its line has been said.
    """
    drawn = _text_filters(scene.on_screen_text, target, workdir, dest.stem) if scene.on_screen_text else []
    encode_span(
        clip,
        target,
        dest,
        duration_s=scene.duration_s,
        has_audio=probe(clip).has_audio,
        start_s=scene.start_s,
        video_filters=drawn,
        hold_s=hold_s,
    )


def prepare_parts(cut: Cut, clips: Sequence[Path], target: Target, workdir: Path) -> list[Path]:
    """Each scene of the cut as the stitch takes it: its stored clip if untouched, else its prepared span."""
    parts: list[Path] = []
    for n, (scene, clip) in enumerate(zip(cut.scenes, clips, strict=True)):
        if scene.untouched:
            parts.append(clip)
            continue
        part = workdir / f"scene_{n}.mp4"
        prepare_scene(clip, scene, target, part, workdir)
        parts.append(part)
    return parts


def hold_last(cut: Cut, clips: Sequence[Path], target: Target, workdir: Path, hold_s: float) -> Path:
    """The cut's last scene prepared again with its last frame held `hold_s` longer."""
    part = workdir / f"scene_{len(cut.scenes) - 1}_held.mp4"
    prepare_scene(clips[-1], cut.scenes[-1], target, part, workdir, hold_s=hold_s)
    return part


def stitch_parts(cut: Cut, parts: Sequence[Path], soundtrack: Path | None, workdir: Path) -> Path:
    """Join the prepared scenes with the cut's transition and soundtrack, levelled like every final."""
    video = workdir / "final.mp4"
    stitch(
        list(parts),
        video,
        transition=cut.transition,
        transition_s=cut.transition_s,
        target_lufs=FINAL_LUFS,
        audio=soundtrack,
        replace_audio=soundtrack is not None,
    )
    return video


def finish(video: Path, workdir: Path) -> RenderedCut:
    """The final video with its poster and hover preview."""
    from reelsmith.media.preview import make_preview
    from reelsmith.media.thumbnail import make_thumbnail

    poster, preview = workdir / "poster.jpg", workdir / "preview.webp"
    size = make_thumbnail(video, poster)
    make_preview(video, preview, width=PREVIEW_WIDTH)
    return RenderedCut(
        video, poster, size, preview, (PREVIEW_WIDTH, round(size[1] * PREVIEW_WIDTH / size[0]))
    )


def render_cut(
    cut: Cut, clips: Sequence[Path], soundtrack: Path | None, target: Target, workdir: Path
) -> RenderedCut:
    """Stitch the cut (`clips[i]` is scene i's stored clip) with its poster and hover preview, unspoken."""
    return finish(stitch_parts(cut, prepare_parts(cut, clips, target, workdir), soundtrack, workdir), workdir)


def scratch(root: Path) -> tempfile.TemporaryDirectory[str]:
    """A work folder for one render under the scratch root."""
    root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="version-", dir=root)
