"""`reelsmith stitch` as a command vs the plain ffmpeg concat command, on six 20 s 1080p clips.

    python bench/cli_stitch.py [--runs 7] [--clips 6] [--seconds 20]

Both are timed as whole processes (start-up included) in `--runs` pairs, one right after the other so
both meet the same machine load; the printed ratio is the median of the pairs' ratios. Before every
run the previous output is deleted and dirty pages are flushed, outside the timed part, so
each command is timed writing a new file rather than waiting for the kernel to free the last one.
``--clips 2 --seconds 1 --runs 1`` is a smoke run of a few seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reelsmith.media.encode import audio_args, mp4_args
from reelsmith.media.ffmpeg import ffmpeg_exe, run_ffmpeg


def make_clip(dest: Path, seed: int, seconds: float) -> Path:
    """A 1080p30 H.264/AAC clip with film grain, so its bitrate (~8-10 Mb/s) is like real footage."""
    run_ffmpeg([
        "-f", "lavfi", "-i",
        f"testsrc2=s=384x216:r=30:d={seconds},hue=h={seed * 50},scale=1920:1080,"
        "noise=alls=10:allf=t,format=yuv420p",
        "-f", "lavfi", "-i", f"sine=f={200 + 30 * seed}:r=48000:d={seconds}",
        "-map", "0:v", "-map", "1:a", *audio_args(),
        # ultrafast keeps the set-up quick; the stitch under test only copies these streams.
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", "-g", "30", "-r", "30",
        *mp4_args(), str(dest),
    ])  # fmt: skip
    return dest


def timed(cmd: list[str], output: Path | None = None) -> float:
    """Wall time of one run of a command (which writes ``output``, removed before the run)."""
    if output is not None:
        output.unlink(missing_ok=True)
    os.sync()
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - started


def paired(
    first: list[str], second: list[str], runs: int, outputs: tuple[Path, Path]
) -> list[tuple[float, float]]:
    """``runs`` pairs of wall times, each pair run back to back (``second`` then ``first`` on odd runs)."""
    pairs = []
    for n in range(runs):
        if n % 2:
            b = timed(second, outputs[1])
            a = timed(first, outputs[0])
        else:
            a = timed(first, outputs[0])
            b = timed(second, outputs[1])
        pairs.append((a, b))
    return pairs


def main() -> None:
    """Make the clips, time both commands, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--clips", type=int, default=6, help="clips to join (at least 2)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each clip")
    args = parser.parse_args()
    if args.clips < 2 or args.seconds <= 0 or args.runs < 1:
        parser.error("needs --clips >= 2, --seconds > 0 and --runs >= 1")
    work = Path(tempfile.mkdtemp(prefix="reelsmith-cli-bench-"))
    try:
        clips = [make_clip(work / f"c{i}.mp4", i, args.seconds) for i in range(args.clips)]
        listing = work / "list.txt"
        listing.write_text("".join(f"file '{c}'\n" for c in clips))
        ffmpeg = [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
                  "-c", "copy", str(work / "ffmpeg.mp4")]  # fmt: skip
        ours = [
            sys.executable,
            "-m",
            "reelsmith",
            "stitch",
            *map(str, clips),
            "--out",
            str(work / "ours.mp4"),
        ]
        help_cmd = [sys.executable, "-m", "reelsmith", "--help"]
        t_help = statistics.median(timed(help_cmd) for _ in range(args.runs))
        pairs = paired(ffmpeg, ours, args.runs, (work / "ffmpeg.mp4", work / "ours.mp4"))
        t_ffmpeg = statistics.median(a for a, _ in pairs)
        t_ours = statistics.median(b for _, b in pairs)
        ours_name = f"reelsmith stitch ({args.clips} x {args.seconds:g} s 1080p)"
        width = max(34, len(ours_name) + 2)
        print(f"{'command':{width}}{'median s':>10}")
        print(f"{'reelsmith --help':{width}}{t_help:10.3f}")
        print(f"{'ffmpeg -f concat -c copy':{width}}{t_ffmpeg:10.3f}")
        print(f"{ours_name:{width}}{t_ours:10.3f}")
        size_mb = sum(c.stat().st_size for c in clips) / 1e6
        print(f"input {size_mb:.0f} MB in {args.clips} clips")
        ratio = statistics.median(b / a for a, b in pairs)
        print(f"ratio reelsmith stitch / ffmpeg: {ratio:.2f}x (median of {args.runs} paired runs)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
