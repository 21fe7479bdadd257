"""Stitch benchmark: Reelsmith vs ``ffmpeg -f concat -c copy`` vs MoviePy 2, in one run.

    python bench/stitch.py [--clips 6] [--seconds 8] [--runs 9] [--cases abc] [--encoder foreign|house]
                           [--workdir DIR] [--keep]

Clips are encoded like a provider's (``--encoder foreign``, the default) or like Reelsmith's own.
(a) six compatible 8 s 720p clips; (b) the same with every third clip 1080p/25 fps (MoviePy ``compose``);
(c) six clips with 0.5 s crossfades. Also checks (c)'s duration and PSNR away from transitions.
The table's last two columns are the ratios: Reelsmith / concat copy, and MoviePy / Reelsmith.
MoviePy encodes with Reelsmith's x264 preset (veryfast) by default, like for like; ``--moviepy-preset
ultrafast`` gives MoviePy a head start and brings the whole run under five minutes on two cores.
MoviePy is the optional ``bench`` extra (``pip install -e '.[bench]'``); without it its column reads n/a.
``--clips 2 --seconds 1 --runs 1`` runs every case on tiny inputs in seconds (a smoke run).
"""

from __future__ import annotations

import argparse
import importlib.util
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

FPS = 30
FADE_S = 0.5
FADE_FRAMES = round(FADE_S * FPS)


# How clips are encoded: "foreign" like a provider's or a phone's clips (x264 with its own preset, a GOP
# of two seconds, B-pyramid, 44.1 kHz audio), "house" like Reelsmith's renderer (a keyframe a second).
ENCODERS = ("foreign", "house")


def gop_frames(encoder: str, fps: int) -> int:
    """Frames between keyframes in clips made by ``encoder``."""
    return 2 * fps if encoder == "foreign" else fps


def make_clip(dest: Path, size: str, fps: int, seed: int, seconds: float, encoder: str = "foreign") -> Path:
    """A soft moving picture and a tone, encoded as ``encoder`` would (see ENCODERS)."""
    if encoder == "house":
        codecs = [*audio_args(), *video_args(crf=20, fps=fps)]
    else:
        gop = str(gop_frames(encoder, fps))
        codecs = [
            "-c:a", "aac", "-b:a", "128k", "-ar", "44100",
            "-c:v", "libx264", "-preset", "medium", "-crf", "21", "-g", gop, "-keyint_min", gop,
            "-bf", "3", "-refs", "3", "-pix_fmt", "yuv420p", "-r", str(fps),
        ]  # fmt: skip
    run_ffmpeg([
        "-f", "lavfi", "-i",
        # Drawn small and scaled up: cheap to make, and soft like the local renderer's gradients.
        f"testsrc2=s=320x180:r={fps}:d={seconds},hue=h={seed * 40},scale={size.replace('x', ':')}"
        ":flags=bicubic,format=yuv420p",
        "-f", "lavfi", "-i", f"sine=f={220 + 40 * seed}:r=48000:d={seconds},volume=0.5",
        "-map", "0:v", "-map", "1:a", *codecs, "-t", str(seconds), *mp4_args(), str(dest),
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
    """The baseline: ffmpeg's concat demuxer with stream copy, nothing checked or fixed."""
    listing = dest.with_suffix(".txt")
    listing.write_text("".join(f"file '{c.resolve()}'\n" for c in clips))
    subprocess.run(
        [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
         "-c", "copy", str(dest)],
        check=True,
    )  # fmt: skip


def moviepy_join(clips: list[Path], dest: Path, method: str, preset: str, fade: float = 0.0) -> None:
    """The same join in MoviePy 2: decoded frame by frame in Python and encoded again."""
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


def mixed_clips(hd: list[Path], full: list[Path]) -> list[Path]:
    """The 720p clips with every third one, from the second on, swapped for a 1080p/25 clip."""
    return [full[(i // 3) % len(full)] if i % 3 == 1 else clip for i, clip in enumerate(hd)]


def ratio(numerator: float | None, denominator: float | None) -> str:
    """``numerator / denominator`` as ``1.23x``, or n/a when a contender did not run."""
    if numerator is None or denominator is None:
        return "n/a"
    return f"{numerator / denominator:.2f}x"


def print_checks(cases: str, work: Path, hd: list[Path], seconds: float, gop: int) -> None:
    """Exactness of case (c)'s length, and PSNR where frames should be untouched or near-transparent."""
    n = len(hd)
    frames = round(seconds * FPS)
    if "c" in cases:
        expected = n * seconds - (n - 1) * FADE_S
        got = probe(work / "c.mp4").duration_s
        off = abs(got - expected) * FPS
        print(f"\n(c) duration {got:.3f} s, expected {expected:.3f} s, off by {off:.2f} frames")
        # The join window starts at clip 0's last keyframe before the fade: those frames are re-encoded
        # but not faded.
        window_start = (frames - FADE_FRAMES) // gop * gop
        if window_start < frames - FADE_FRAMES:
            window_frames = (window_start, frames - FADE_FRAMES)
            window = psnr(work / "c.mp4", window_frames, hd[0], window_frames)
            print(f"(c) PSNR of the re-encoded window before the first fade: {window:.1f} dB")
        # Clip 1 is copied from its first keyframe after the fade to its last keyframe before the next
        # fade, or to its end when it is the last clip; in the output it starts where the first fade begins.
        head = -(-FADE_FRAMES // gop) * gop
        tail = (frames - FADE_FRAMES) // gop * gop if n > 2 else frames
        end = min(head + 45, tail)
        if end > head:
            start = frames - FADE_FRAMES
            middle = psnr(work / "c.mp4", (start + head, start + end), hd[1], (head, end))
            print(f"(c) PSNR of clip 1's copied middle: {middle} dB")
        else:
            print("(c) clips too short to have a copied middle")
    if "b" in cases:
        b_info = probe(work / "b.mp4")
        print(f"(b) output {b_info.width}x{b_info.height} at {b_info.fps:g} fps")
        copied = psnr(work / "b.mp4", (0, frames), hd[0], (0, frames))
        print(f"(b) PSNR of the copied first 720p clip: {copied} dB")


def main() -> None:
    """Make the clips, time the three contenders on each case, print the table and the checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated clips and outputs")
    parser.add_argument("--moviepy-preset", default="veryfast", help="x264 preset MoviePy encodes with")
    parser.add_argument("--cases", default="abc", help="which cases to run, e.g. 'a' (default: abc)")
    parser.add_argument("--clips", type=int, default=6, help="clips per case (at least 2)")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each clip (at least 1 s)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs of case (a), best kept")
    parser.add_argument("--encoder", choices=ENCODERS, default="foreign", help="how the clips are encoded")
    args = parser.parse_args()
    if args.clips < 2 or args.seconds < 1 or args.runs < 1:
        parser.error("needs --clips >= 2, --seconds >= 1 and --runs >= 1")
    n, seconds = args.clips, args.seconds
    has_moviepy = importlib.util.find_spec("moviepy") is not None
    work = args.workdir or Path(tempfile.mkdtemp(prefix="reelsmith-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    enc = args.encoder
    hd = [make_clip(work / f"hd{i}.mp4", "1280x720", FPS, i, seconds, enc) for i in range(n)]
    full = [
        make_clip(work / f"fhd{i}.mp4", "1920x1080", 25, 10 + i, seconds, enc) for i in range(max(1, n // 3))
    ]
    mixed = mixed_clips(hd, full)
    if has_moviepy:
        print(f"MoviePy x264 preset: {args.moviepy_preset}")
    else:
        print("MoviePy is not installed (pip install -e '.[bench]'): its column reads n/a")
    made = time.perf_counter() - started
    print(f"made {n + len(full)} {enc} clips of {seconds:g} s in {made:.1f} s ({work})")

    def moviepy(clips: list[Path], dest: Path, method: str, fade: float = 0.0) -> float | None:
        """MoviePy's time for one join, or None when it is not installed."""
        if not has_moviepy:
            return None
        return timed(lambda: moviepy_join(clips, dest, method, args.moviepy_preset, fade), dest)

    rows: list[tuple[str, float, float, float | None]] = []
    # Warm up imports and the page cache so the first measurement is not penalised.
    stitch(hd, work / "warm.mp4")
    concat_copy(hd, work / "warm_cc.mp4")
    size = f"{n} x {seconds:g} s"
    if "a" in args.cases:
        ours = timed(lambda: stitch(hd, work / "a.mp4"), work / "a.mp4", repeat=args.runs)
        plain = timed(lambda: concat_copy(hd, work / "a_cc.mp4"), work / "a_cc.mp4", repeat=args.runs)
        mp = moviepy(hd, work / "a_mp.mp4", "chain")
        rows.append((f"(a) {size} 720p compatible", ours, plain, mp))
    if "b" in args.cases:
        ours_b = timed(lambda: stitch(mixed, work / "b.mp4"), work / "b.mp4")
        plain_b = timed(lambda: concat_copy(mixed, work / "b_cc.mp4"), work / "b_cc.mp4")
        mp_b = moviepy(mixed, work / "b_mp.mp4", "compose")
        rows.append((f"(b) {len(full)} of {n} are 1080p/25", ours_b, plain_b, mp_b))
    if "c" in args.cases:
        ours_c = timed(
            lambda: stitch(hd, work / "c.mp4", transition="fade", transition_s=FADE_S), work / "c.mp4"
        )
        plain_c = timed(lambda: concat_copy(hd, work / "c_cc.mp4"), work / "c_cc.mp4")
        mp_c = moviepy(hd, work / "c_mp.mp4", "compose", FADE_S)
        rows.append((f"(c) {FADE_S:g} s crossfades", ours_c, plain_c, mp_c))

    header = ("case", "reelsmith", "concat -c copy", "moviepy", "vs copy", "vs moviepy")
    print("\n{:32} {:>10} {:>15} {:>9} {:>8} {:>11}".format(*header))
    for name, r, c, m in rows:
        shown = f"{m:8.1f}s" if m is not None else f"{'n/a':>9}"
        print(f"{name:32} {r:9.2f}s {c:14.2f}s {shown} {ratio(r, c):>8} {ratio(m, r):>11}")

    print_checks(args.cases, work, hd, seconds, gop_frames(enc, FPS))
    print(f"total bench time {time.perf_counter() - started:.0f} s")
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
