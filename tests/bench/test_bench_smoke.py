"""Every benchmark in `bench/` still runs: each is started as its own process on tiny inputs.

The figures themselves are not judged here (two busy cores make them noise); what is checked is that
each bench finishes and prints the baseline comparison it promises.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RATIO = r"\d+\.\d+x"


def run_bench(script: str, *args: str, timeout_s: float = 120) -> str:
    """Run ``bench/<script>`` with ``args`` from the repository root; its stdout, after checking exit 0."""
    # The benches build their own settings; a developer's REELSMITH_* variables must not steer them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_")}
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert result.returncode == 0, f"{script} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_stitch_bench_compares_every_case_with_concat_copy() -> None:
    out = run_bench("stitch.py", "--clips", "2", "--seconds", "1", "--runs", "1")
    has_moviepy = importlib.util.find_spec("moviepy") is not None
    versus_moviepy = RATIO if has_moviepy else "n/a"
    for case in ("(a)", "(b)", "(c)"):
        row = re.search(rf"^{re.escape(case)} .* ({RATIO}) +({versus_moviepy})$", out, re.M)
        assert row is not None, f"no ratios for case {case}:\n{out}"
    if not has_moviepy:
        assert "MoviePy is not installed" in out
    assert re.search(r"^\(c\) duration .* off by \d+\.\d+ frames$", out, re.M), out


def test_cli_stitch_bench_prints_the_ratio_to_plain_ffmpeg() -> None:
    out = run_bench("cli_stitch.py", "--clips", "2", "--seconds", "1", "--runs", "1")
    ratio = rf"^ratio reelsmith stitch / ffmpeg: {RATIO} \(median of 1 paired runs\)$"
    assert re.search(ratio, out, re.M), out
    assert "reelsmith stitch (2 x 1 s 1080p)" in out


def test_api_list_bench_prints_the_ratio_to_bare_sql() -> None:
    out = run_bench("api_list.py", "--rows", "200", "--requests", "20")
    assert re.search(rf"^ratio API/baseline: p50 {RATIO}, p95 {RATIO}$", out, re.M), out
    assert "rows=200 requests=20" in out


@pytest.mark.slow
def test_inflight_bench_prints_the_ratios_to_a_bare_get() -> None:
    tiny = ("--clips", "3", "--polls", "1", "--poll-after-ms", "50", "--baseline-gets", "20")
    out = run_bench("inflight.py", *tiny, "--timeout", "90")
    assert re.search(r"^outcome +completed 3$", out, re.M), out
    for ratio in ("poll task / bare GET", "overhead / bare GET"):
        assert re.search(rf"^ratio {re.escape(ratio)} \(means\) +{RATIO}$", out, re.M), out


def test_code_shape_bench_prints_its_figures() -> None:
    out = run_bench("code_shape.py", "--top", "3")
    for figure in (
        r"python files: \d+, lines: \d+",
        r"functions over 50 lines: \d+",
        r"'dict\[str, Any\]' occurrences: \d+",
        r"bare status strings compared or assigned: \d+",
        r"route modules running SQL or session calls: \d+",
    ):
        assert re.search(rf"^{figure}$", out, re.M), out


def test_finish_bench_prints_the_latency_and_its_baseline() -> None:
    out = run_bench("finish.py", "--scenes", "2", "--seconds", "2", timeout_s=240)
    assert re.search(r"^finish latency \(last arrival -> done\) +\d+\.\d+$", out, re.M), out
    assert re.search(rf"^ratio finish latency / baseline: {RATIO}", out, re.M), out


def test_captions_bench_compares_the_windowed_burn_with_a_full_encode() -> None:
    out = run_bench("captions.py", "--seconds", "4", "--size", "320x180", "--runs", "1")
    for encoder in ("foreign", "house"):
        assert re.search(rf"^{encoder} +cpu: .* ratio full/windowed {RATIO}$", out, re.M), out


def test_narration_bench_prints_what_speech_adds() -> None:
    out = run_bench("narration.py", "--scenes", "1", timeout_s=300)
    assert re.search(rf"^speech adds -?\d+\.\d+ s \({RATIO} the baseline\)$", out, re.M), out
