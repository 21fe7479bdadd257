from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reelsmith.media.analysis import analyze_video
from reelsmith.media.encode import mp4_args, video_args
from reelsmith.media.ffmpeg import run_ffmpeg

_SEGMENTS = [
    "testsrc2=s=160x90:r=30:d=0.5",
    "color=c=0x2050a0:s=160x90:r=30:d=0.5",
    "testsrc2=s=160x90:r=30:d=0.5,hue=h=120",
    "smptebars=s=160x90:r=30:d=0.5",
    "color=c=0xe0c040:s=160x90:r=30:d=0.5",
    "mandelbrot=s=160x90:r=30,trim=duration=0.5",
    "testsrc2=s=160x90:r=30:d=0.5,negate",
    "rgbtestsrc=s=160x90:r=30:d=0.5",
]


@pytest.fixture(scope="session")
def seven_cuts(media_dir: Path) -> Path:
    dest = media_dir / "cuts.mp4"
    args: list[str] = []
    for source in _SEGMENTS:
        args += ["-f", "lavfi", "-i", source]
    graph = "".join(f"[{i}:v]format=yuv420p,setsar=1[v{i}];" for i in range(8))
    graph += "".join(f"[v{i}]" for i in range(8)) + "concat=n=8:v=1:a=0[v]"
    run_ffmpeg([*args, "-filter_complex", graph, "-map", "[v]", *video_args(crf=20), *mp4_args(), str(dest)])
    return dest


@pytest.fixture(scope="session")
def smooth(media_dir: Path) -> Path:
    """Moving pictures, a fade out and in, and a dissolve: no hard cut anywhere."""
    dest = media_dir / "smooth.mp4"
    graph = (
        "[0:v]fade=t=out:st=1.4:d=0.6[a];[1:v]fade=t=in:d=0.6[b];[a][b]concat=n=2:v=1:a=0,format=yuv420p,"
        "split[x][y];[x]trim=duration=2,setpts=PTS-STARTPTS[x1];[y]trim=start=2,setpts=PTS-STARTPTS[y1];"
        "[x1][y1]xfade=transition=dissolve:duration=0.5:offset=1.5[v]"
    )
    run_ffmpeg([
        "-f", "lavfi", "-i", "testsrc2=s=160x90:r=30:d=2",
        "-f", "lavfi", "-i", "mandelbrot=s=160x90:r=30,trim=duration=2",
        "-filter_complex", graph, "-map", "[v]", *video_args(crf=20), *mp4_args(), str(dest),
    ])  # fmt: skip
    return dest


def test_seven_hard_cuts_are_found_exactly(seven_cuts: Path, tmp_path: Path) -> None:
    result = analyze_video(seven_cuts, tmp_path / "keys")
    assert result.cut_times == pytest.approx([0.5 * k for k in range(1, 8)], abs=1 / 30)
    assert len(result.shots) == 8
    assert all(s.keyframe_path is not None and s.keyframe_path.is_file() for s in result.shots)
    assert sum(result.shot_durations) == pytest.approx(4.0, abs=1 / 30)


def test_fades_dissolves_and_motion_are_not_cuts(smooth: Path) -> None:
    result = analyze_video(smooth)
    assert result.cut_times == ()
    assert result.shots[0].keyframe_path is None


def test_palette_and_motion_sanity(seven_cuts: Path) -> None:
    result = analyze_video(seven_cuts)
    assert 3 <= len(result.palette) <= 5
    assert all(c.startswith("#") and len(c) == 7 for c in result.palette)
    flat_blue = result.shots[1]
    rgb = [int(flat_blue.palette[0][i : i + 2], 16) for i in (1, 3, 5)]
    assert len(flat_blue.palette) == 1
    assert max(abs(a - b) for a, b in zip(rgb, (0x20, 0x50, 0xA0), strict=True)) < 16
    assert flat_blue.motion < 0.002 < result.shots[0].motion
    assert result.motion_level in ("still", "low", "medium", "high")
    assert result.loudness_lufs is None  # no audio stream


def test_analyze_command_prints_json_for_a_video(seven_cuts: Path) -> None:
    import typer

    from reelsmith.cli.analyze_cmd import analyze_command

    app = typer.Typer()
    app.command()(analyze_command)
    result = CliRunner().invoke(app, [str(seven_cuts), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "video"
    assert len(data["shots"]) == 8
