"""Source-video analysis for ad cloning: hard cuts, a keyframe per shot, palette, motion and loudness.

ffmpeg decodes and shrinks the video to a small RGB strip of frames (one process, piped); cut detection,
motion and palette are numpy over those tiny frames. A hard cut is a frame difference that towers over
its neighbours; fades, dissolves and camera motion change the picture over many frames and do not.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reelsmith.errors import MediaError
from reelsmith.media.encode import fps_fraction
from reelsmith.media.ffmpeg import ffmpeg_pipe
from reelsmith.media.probe import probe

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

_ANALYSIS_WIDTH = 96
_CUT_MIN_DIFF = 0.06  # mean absolute difference (0-1) a cut must at least reach
_CUT_RATIO = 3.0  # ... and how many times the local typical difference
_NEIGHBOURS = 6  # frames either side that define "local"
_MOTION_LEVELS = ((0.004, "still"), (0.02, "low"), (0.05, "medium"))


@dataclass(frozen=True)
class Shot:
    """One shot: its span, a keyframe (time, and JPEG path when written), its colours and motion (0-1)."""

    start_s: float
    end_s: float
    keyframe_s: float
    keyframe_path: Path | None
    palette: tuple[str, ...]
    motion: float

    @property
    def duration_s(self) -> float:
        """Length of the shot in seconds."""
        return round(self.end_s - self.start_s, 4)


@dataclass(frozen=True)
class VideoAnalysis:
    """Shots, overall palette (hex, most common first), motion level and loudness of a video."""

    duration_s: float
    shots: tuple[Shot, ...]
    palette: tuple[str, ...]
    motion: float
    motion_level: str
    loudness_lufs: float | None

    @property
    def shot_durations(self) -> tuple[float, ...]:
        """Length of each shot in seconds (the source's pacing)."""
        return tuple(s.duration_s for s in self.shots)

    @property
    def cut_times(self) -> tuple[float, ...]:
        """Times of the hard cuts (the start of every shot but the first)."""
        return tuple(s.start_s for s in self.shots[1:])


def small_frames(path: Path, width: int = _ANALYSIS_WIDTH) -> tuple[NDArray[np.uint8], float]:
    """Every frame of ``path`` shrunk to ``width`` px (N, h, w, 3 RGB), and the frame rate."""
    import numpy as np

    info = probe(path)
    if not info.has_video or info.duration_s <= 0:
        raise MediaError(f"no moving video in {path}")
    height = max(2, round(width * info.height / info.width / 2) * 2)
    raw = ffmpeg_pipe(
        ["-i", str(path), "-an", "-vf", f"scale={width}:{height}:flags=area,format=rgb24",
         "-f", "rawvideo", "-"],
        timeout_s=60 + info.duration_s * 4,
    )  # fmt: skip
    frames = np.frombuffer(raw, np.uint8)
    frames = frames[: len(frames) // (width * height * 3) * width * height * 3]
    return frames.reshape(-1, height, width, 3), float(fps_fraction(info.fps or 30.0))


def frame_differences(frames: NDArray[np.uint8]) -> NDArray[np.float64]:
    """Mean absolute difference (0-1) between each frame and the one before; 0 for the first."""
    import numpy as np

    if len(frames) < 2:
        return np.zeros(len(frames))
    f = frames.astype(np.int16)
    diffs = np.abs(f[1:] - f[:-1]).mean(axis=(1, 2, 3)) / 255.0
    return np.concatenate([[0.0], diffs])


def detect_cuts(diffs: NDArray[np.float64]) -> list[int]:
    """Frame indices that start a new shot: differences far above those of their neighbours."""
    import numpy as np

    cuts: list[int] = []
    for t in np.flatnonzero(diffs > _CUT_MIN_DIFF):
        lo, hi = max(1, t - _NEIGHBOURS), min(len(diffs), t + _NEIGHBOURS + 1)
        around = np.concatenate([diffs[lo:t], diffs[t + 1 : hi]])
        typical = float(np.median(around)) if len(around) else 0.0
        if diffs[t] >= _CUT_RATIO * max(typical, 0.01) and diffs[t] >= diffs[lo:hi].max():
            cuts.append(int(t))
    return cuts


def motion_level(value: float) -> str:
    """A word for a mean frame difference: still, low, medium or high."""
    return next((name for limit, name in _MOTION_LEVELS if value < limit), "high")


def analyze_video(path: Path, keyframes_dir: Path | None = None) -> VideoAnalysis:
    """Shots (hard cuts), per-shot keyframes (JPEGs in ``keyframes_dir`` if given), palette, motion, LUFS."""
    import numpy as np

    from reelsmith.media.analysis.colors import dominant_colors
    from reelsmith.media.loudness import loudness
    from reelsmith.media.thumbnail import frames_at, save_jpeg

    path = Path(path)
    frames, fps = small_frames(path)
    if len(frames) == 0:
        raise MediaError(f"no decodable video frame in {path}")
    diffs = frame_differences(frames)
    cuts = detect_cuts(diffs)
    edges = [0, *cuts, len(frames)]
    spans = list(itertools.pairwise(edges))
    # The cut frames themselves are not motion: leave them out of the average.
    moving = np.delete(diffs[1:], [c - 1 for c in cuts]) if len(diffs) > 1 else diffs
    motion = float(moving.mean()) if len(moving) else 0.0
    middles = [(a + b - 1) / 2 / fps for a, b in spans]
    pictures = dict(frames_at(path, middles)) if keyframes_dir is not None else {}
    shots: list[Shot] = []
    for i, ((a, b), middle) in enumerate(zip(spans, middles, strict=True)):
        keyframe_path = None
        if keyframes_dir is not None:
            keyframe_path = Path(keyframes_dir) / f"shot_{i:03d}.jpg"
            save_jpeg(pictures[middle], keyframe_path, 640)
        inside = diffs[a + 1 : b]
        shots.append(
            Shot(
                start_s=round(a / fps, 4),
                end_s=round(b / fps, 4),
                keyframe_s=round(middle, 4),
                keyframe_path=keyframe_path,
                palette=tuple(c for c, _ in dominant_colors(frames[a : b : max(1, (b - a) // 8)], k=3)),
                motion=round(float(inside.mean()) if len(inside) else 0.0, 4),
            )
        )
    step = max(1, len(frames) // 48)
    try:
        lufs: float | None = round(loudness(path), 2)
    except MediaError:
        lufs = None
    return VideoAnalysis(
        duration_s=round(len(frames) / fps, 4),
        shots=tuple(shots),
        palette=tuple(c for c, _ in dominant_colors(frames[::step], k=5)),
        motion=round(motion, 4),
        motion_level=motion_level(motion),
        loudness_lufs=lufs,
    )
