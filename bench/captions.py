"""Caption burn-in benchmark: Reelsmith's windowed burn-in vs a full re-encode with the same filter.

    python bench/captions.py [--seconds 32] [--size 1280x720] [--runs 3] [--encoders foreign,house]
                             [--workdir DIR] [--keep]

A ``--seconds`` clip at ``--size`` is captioned over about 70 % of its length (phrases of ten words,
0.4 s a word, with pauses between them), in the bold style. ``foreign`` encodes the clip with x264
settings unlike Reelsmith's (``-preset medium -profile:v main -g 250``: a keyframe only every 8.3 s at
30 fps), ``house`` like Reelsmith's own (a keyframe a second, as stitched videos have). For each, the
best of ``--runs`` paired runs of both paths is printed with the ratio full / windowed (above 1.00x =
the windowed path is faster), the share of frames each re-encodes, and whether the frames outside the
windows came through bit for bit. ``--seconds 4 --size 320x180 --runs 1`` is a smoke run of seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from reelsmith.media.captions import Cue, burn_captions, caption_cues
from reelsmith.media.captions.ass import cue_frames
from reelsmith.media.captions.burn import caption_windows
from reelsmith.media.encode import audio_args, mp4_args, video_args
from reelsmith.media.ffmpeg import ffmpeg_pipe, run_ffmpeg
from reelsmith.media.stitch.scan import keyframes, scan_clip
from reelsmith.providers.base import WordTiming

FPS = 30
ENCODERS: dict[str, list[str]] = {
    "foreign": ["-c:v", "libx264", "-preset", "medium", "-profile:v", "main", "-g", "250", "-crf", "21",
                "-pix_fmt", "yuv420p", "-r", str(FPS)],
    "house": video_args(crf=20, fps=FPS),
}  # fmt: skip
WORD_S = 0.4
PHRASE_WORDS = 10
PAUSE_S = 2.0


def make_clip(dest: Path, size: str, seconds: float, encoder: str) -> Path:
    """A soft moving picture and a tone, encoded as ``encoder`` says."""
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc2=s=320x180:r={FPS}:d={seconds},scale={size.replace('x', ':')}"
        ":flags=bicubic,format=yuv420p",
        "-f", "lavfi", "-i", f"sine=f=330:r=48000:d={seconds},volume=0.5",
        "-map", "0:v", "-map", "1:a", *ENCODERS[encoder], *audio_args(), "-t", str(seconds), *mp4_args(),
        str(dest),
    ])  # fmt: skip
    return dest


def spoken_words(seconds: float) -> list[WordTiming]:
    """Phrases of PHRASE_WORDS words, WORD_S each, PAUSE_S apart, up to ``seconds``."""
    words: list[WordTiming] = []
    at, n = 0.5, 0
    while at + WORD_S < seconds:
        words.append(WordTiming(f"word{n}", at, at + WORD_S * 0.9))
        n += 1
        at += WORD_S + (PAUSE_S if n % PHRASE_WORDS == 0 else 0.0)
    return words


def frame_hashes(path: Path) -> list[str]:
    """One hash per decoded frame (raw planes), in order."""
    raw = ffmpeg_pipe(["-i", str(path), "-map", "0:v:0", "-f", "framemd5", "-"])
    return [line.rsplit(",", 1)[1].strip() for line in raw.decode().splitlines() if not line.startswith("#")]


def cpu_seconds() -> float:
    """CPU time used so far by this process and the ffmpeg processes it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], None], output: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``fn``, which writes ``output`` (deleted and flushed first, untimed).

    On a shared machine the wall time swings with the other load; the CPU time is the steadier figure.
    """
    output.unlink(missing_ok=True)
    os.sync()
    wall, cpu = time.perf_counter(), cpu_seconds()
    fn()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def bench(encoder: str, work: Path, size: str, seconds: float, runs: int) -> None:
    """Time both paths on one clip and print the row and its checks."""
    clip = make_clip(work / f"{encoder}.mp4", size, seconds, encoder)
    cues: list[Cue] = caption_cues(spoken_words(seconds))
    scan = scan_clip(clip)
    spans = [cue_frames(c, scan.fps) for c in cues]
    shown = sum(min(b, scan.video_frames) - a for a, b in spans if a < scan.video_frames)
    windows = caption_windows(spans, keyframes(clip, scan.fps).frames, scan.video_frames)
    encoded = sum(b - a for a, b in windows)
    windowed_out, whole_out = work / f"{encoder}_windowed.mp4", work / f"{encoder}_whole.mp4"
    burn_captions(clip, cues[:1], work / "warm.mp4")  # imports, font cache, page cache
    windowed: list[tuple[float, float]] = []
    full: list[tuple[float, float]] = []
    for _ in range(runs):
        windowed.append(timed(lambda: burn_captions(clip, cues, windowed_out), windowed_out))
        full.append(timed(lambda: burn_captions(clip, cues, whole_out, whole=True), whole_out))
    wall_w, wall_f = min(w for w, _ in windowed), min(w for w, _ in full)
    cpu_w, cpu_f = min(c for _, c in windowed), min(c for _, c in full)
    before, after = frame_hashes(clip), frame_hashes(windowed_out)
    inside = {f for a, b in windows for f in range(a, b)}
    outside = [i for i in range(len(before)) if i not in inside]
    same = sum(before[i] == after[i] for i in outside if i < len(after))
    print(
        f"{encoder:8} captions on {shown / scan.video_frames:5.1%} of frames; windows cover "
        f"{encoded / scan.video_frames:5.1%} ({len(windows)} windows)"
    )
    for kind, (w, f) in {"wall": (wall_w, wall_f), "cpu": (cpu_w, cpu_f)}.items():
        times = f"windowed {w:6.2f} s, full {f:6.2f} s"
        print(f"{encoder:8} {kind + ':':5} {times}, ratio full/windowed {f / w:.2f}x")
    print(
        f"{encoder:8} frames: {len(after)} of {len(before)} kept; "
        f"{same} of {len(outside)} outside the windows bit-identical"
    )


def main() -> None:
    """Run the benchmark for each encoder and print one row per encoder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=32.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--runs", type=int, default=3, help="paired timed runs, best of each kept")
    parser.add_argument("--encoders", default="foreign,house")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated clips and outputs")
    args = parser.parse_args()
    encoders = args.encoders.split(",")
    if args.runs < 1 or args.seconds < 2 or any(e not in ENCODERS for e in encoders):
        parser.error(f"needs --runs >= 1, --seconds >= 2 and encoders among {', '.join(ENCODERS)}")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="reelsmith-bench-captions-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{args.seconds:g} s {args.size} clip, best of {args.runs} paired runs ({work})")
    try:
        for encoder in encoders:
            bench(encoder, work, args.size, args.seconds, args.runs)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
