"""`reelsmith stitch` as a command vs the plain ffmpeg concat command, on six 20 s 1080p clips.

    python bench/cli_stitch.py [--runs 5]

Both are timed as whole processes (start-up included), best of `--runs`, and the ratio is printed.
Before every run the previous output is deleted and dirty pages are flushed, outside the timed part, so
each command is timed writing a new file rather than waiting for the kernel to free the last one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reelsmith.media.encode import audio_args, mp4_args
from reelsmith.media.ffmpeg import ffmpeg_exe, run_ffmpeg

SECONDS = 20.0


def make_clip(dest: Path, seed: int) -> Path:
    """A 20 s 1080p30 H.264/AAC clip with film grain, so its bitrate (~8-10 Mb/s) is like real footage."""
    run_ffmpeg([
        "-f", "lavfi", "-i",
        f"testsrc2=s=384x216:r=30:d={SECONDS},hue=h={seed * 50},scale=1920:1080,"
        "noise=alls=10:allf=t,format=yuv420p",
        "-f", "lavfi", "-i", f"sine=f={200 + 30 * seed}:r=48000:d={SECONDS}",
        "-map", "0:v", "-map", "1:a", *audio_args(),
        # ultrafast keeps the set-up quick; the stitch under test only copies these streams.
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", "-g", "30", "-r", "30",
        *mp4_args(), str(dest),
    ])  # fmt: skip
    return dest


def best(cmd: list[str], runs: int, output: Path | None = None) -> float:
    """Best wall time of `runs` runs of a command (which writes ``output``, removed before each run)."""
    times = []
    for _ in range(runs):
        if output is not None:
            output.unlink(missing_ok=True)
        os.sync()
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    """Make the clips, time both commands, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reelsmith-cli-bench-"))
    try:
        clips = [make_clip(work / f"c{i}.mp4", i) for i in range(6)]
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
        t_help = best(help_cmd, args.runs)
        t_ffmpeg = best(ffmpeg, args.runs, work / "ffmpeg.mp4")
        t_ours = best(ours, args.runs, work / "ours.mp4")
        print(f"{'command':34}{'best s':>10}")
        print(f"{'reelsmith --help':34}{t_help:10.3f}")
        print(f"{'ffmpeg -f concat -c copy':34}{t_ffmpeg:10.3f}")
        print(f"{'reelsmith stitch (6 x 20 s 1080p)':34}{t_ours:10.3f}")
        size_mb = sum(c.stat().st_size for c in clips) / 1e6
        print(f"input {size_mb:.0f} MB in 6 clips")
        print(f"ratio reelsmith stitch / ffmpeg: {t_ours / t_ffmpeg:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
