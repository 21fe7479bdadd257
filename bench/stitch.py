"""Stitch benchmark: Reelsmith vs ``ffmpeg -f concat -c copy`` vs MoviePy 2, in one run.

    python bench/stitch.py [--workdir DIR] [--keep] [--cases abc]

(a) six compatible 8 s 720p clips; (b) the same with two 1080p/25 fps clips (MoviePy ``compose``);
(c) six clips with 0.5 s crossfades. Also checks (c)'s duration and PSNR away from transitions.
MoviePy encodes with Reelsmith's x264 preset (veryfast) by default, like for like; ``--moviepy-preset
ultrafast`` gives MoviePy a head start and brings the whole run under five minutes on two cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from reelsmith.media.encode import audio_args, mp4_args, video_args
from reelsmith.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from reelsmith.media.probe import probe
from reelsmith.media.quality import psnr
from reelsmith.media.stitch import stitch

CLIP_S = 8.0
FADE_S = 0.5


def make_clip(dest: Path, size: str, fps: int, seed: int) -> Path:
    """A Reelsmith-style clip: soft moving picture and a tone, x264 High like the renderer's, AAC."""
    run_ffmpeg([
        "-f", "lavfi", "-i",
        # Drawn small and scaled up: cheap to make, and soft like the local renderer's gradients.
        f"testsrc2=s=320x180:r={fps}:d={CLIP_S},hue=h={seed * 40},scale={size.replace('x', ':')}"
        ":flags=bicubic,format=yuv420p",
        "-f", "lavfi", "-i", f"sine=f={220 + 40 * seed}:r=48000:d={CLIP_S},volume=0.5",
        "-map", "0:v", "-map", "1:a", *audio_args(), *video_args(crf=20, fps=fps),
        "-t", str(CLIP_S), *mp4_args(), str(dest),
    ])  # fmt: skip
    return dest


def timed(fn: Callable[[], object], output: Path, repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs of ``fn``, which writes ``output``.

    The previous output is deleted and dirty pages flushed before each run, outside the timing, so every
    contender is timed writing a new file, not waiting for the kernel to free or flush the last one.
    """
    best = float("inf")
    for _ in range(repeat):
        output.unlink(missing_ok=True)
        os.sync()
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def concat_copy(clips: list[Path], dest: Path) -> None:
    listing = dest.with_suffix(".txt")
    listing.write_text("".join(f"file '{c.resolve()}'\n" for c in clips))
    subprocess.run(
        [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
         "-c", "copy", str(dest)],
        check=True,
    )  # fmt: skip


def moviepy_join(clips: list[Path], dest: Path, method: str, preset: str, fade: float = 0.0) -> None:
    from moviepy import VideoFileClip, concatenate_videoclips, vfx

    opened = [VideoFileClip(str(c)) for c in clips]
    parts = opened
    if fade:
        parts = [opened[0]] + [c.with_effects([vfx.CrossFadeIn(fade)]) for c in opened[1:]]
    joined = concatenate_videoclips(parts, method=method, padding=-fade if fade else 0)
    joined.write_videofile(
        str(dest), codec="libx264", audio_codec="aac", preset=preset, threads=2, logger=None
    )
    for clip in opened:
        clip.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated clips and outputs")
    parser.add_argument("--moviepy-preset", default="veryfast", help="x264 preset MoviePy encodes with")
    parser.add_argument("--cases", default="abc", help="which cases to run, e.g. 'a' (default: abc)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="reelsmith-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    hd = [make_clip(work / f"hd{i}.mp4", "1280x720", 30, i) for i in range(6)]
    full = [make_clip(work / f"fhd{i}.mp4", "1920x1080", 25, 10 + i) for i in range(2)]
    mixed = [hd[0], full[0], hd[1], hd[2], full[1], hd[3]]
    print(f"MoviePy x264 preset: {args.moviepy_preset}")
    print(f"made 8 clips in {time.perf_counter() - started:.1f} s ({work})")

    rows: list[tuple[str, float, float, float]] = []
    # Warm up imports and the page cache so the first measurement is not penalised.
    stitch(hd, work / "warm.mp4")
    concat_copy(hd, work / "warm_cc.mp4")
    if "a" in args.cases:
        ours = timed(lambda: stitch(hd, work / "a.mp4"), work / "a.mp4", repeat=9)
        plain = timed(lambda: concat_copy(hd, work / "a_cc.mp4"), work / "a_cc.mp4", repeat=9)
        mp = timed(
            lambda: moviepy_join(hd, work / "a_mp.mp4", "chain", args.moviepy_preset), work / "a_mp.mp4"
        )
        rows.append(("(a) 6 x 8 s 720p compatible", ours, plain, mp))
    if "b" in args.cases:
        ours_b = timed(lambda: stitch(mixed, work / "b.mp4"), work / "b.mp4")
        plain_b = timed(lambda: concat_copy(mixed, work / "b_cc.mp4"), work / "b_cc.mp4")
        mp_b = timed(
            lambda: moviepy_join(mixed, work / "b_mp.mp4", "compose", args.moviepy_preset), work / "b_mp.mp4"
        )
        rows.append(("(b) 2 of 6 are 1080p/25", ours_b, plain_b, mp_b))
    if "c" in args.cases:
        ours_c = timed(
            lambda: stitch(hd, work / "c.mp4", transition="fade", transition_s=FADE_S), work / "c.mp4"
        )
        plain_c = timed(lambda: concat_copy(hd, work / "c_cc.mp4"), work / "c_cc.mp4")
        mp_c = timed(
            lambda: moviepy_join(hd, work / "c_mp.mp4", "compose", args.moviepy_preset, FADE_S),
            work / "c_mp.mp4",
        )
        rows.append(("(c) 0.5 s crossfades", ours_c, plain_c, mp_c))

    header = ("case", "reelsmith", "concat -c copy", "moviepy", "vs copy", "vs moviepy")
    print("\n{:32} {:>10} {:>15} {:>9} {:>8} {:>11}".format(*header))
    for name, r, c, m in rows:
        print(f"{name:32} {r:9.2f}s {c:14.2f}s {m:8.1f}s {r / c:7.2f}x {m / r:10.1f}x")

    if "c" in args.cases:
        expected = 6 * CLIP_S - 5 * FADE_S
        got = probe(work / "c.mp4").duration_s
        off = abs(got - expected) * 30
        print(f"\n(c) duration {got:.3f} s, expected {expected:.3f} s, off by {off:.2f} frames")
        # Frames 210-224 of (c) are clip 0's 7.0-7.5 s: re-encoded in the join window, before the fade.
        window = psnr(work / "c.mp4", (210, 225), hd[0], (210, 225))
        middle = psnr(work / "c.mp4", (255, 300), hd[1], (30, 75))
        print(f"(c) PSNR away from transitions: re-encoded window {window:.1f} dB, copied middle {middle} dB")
    if "b" in args.cases:
        b_info = probe(work / "b.mp4")
        print(f"(b) output {b_info.width}x{b_info.height} at {b_info.fps:g} fps")
        copied = psnr(work / "b.mp4", (0, 240), hd[0], (0, 240))
        print(f"(b) PSNR of the copied first 720p clip: {copied} dB")
    print(f"total bench time {time.perf_counter() - started:.0f} s")
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
