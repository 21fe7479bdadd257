"""`reelsmith stitch` as people run it: the lean command behind the script, and through the Typer app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reelsmith.cli.app import app
from reelsmith.media.encode import audio_args, mp4_args, video_args
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.probe import probe


def _clip(dest: Path, seconds: float, hue: int) -> Path:
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc2=s=320x240:r=30:d={seconds},hue=h={hue}",
        "-f", "lavfi", "-i", f"sine=r=48000:d={seconds}",
        "-map", "0:v", "-map", "1:a", *audio_args(), *video_args(crf=28), *mp4_args(), str(dest),
    ])  # fmt: skip
    return dest


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("stitch_cli")
    return [_clip(folder / "a.mp4", 1.0, 0), _clip(folder / "b.mp4", 1.5, 90)]


def _reelsmith(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reelsmith", *args], capture_output=True, text=True, timeout=120
    )


def test_stitch_prints_the_output_path(clips: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "out" / "joined.mp4"
    result = _reelsmith("stitch", *map(str, clips), "--out", str(dest))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(dest.resolve())
    assert "stitched 2 clips: 2.50 s, 320x240" in result.stderr
    assert probe(dest).duration_s == pytest.approx(2.5, abs=0.04)


def test_verbose_before_the_command_logs_the_path_taken(clips: list[Path], tmp_path: Path) -> None:
    result = _reelsmith("-v", "stitch", *map(str, clips), "--out", str(tmp_path / "x.mp4"))
    assert result.returncode == 0, result.stderr
    assert "video and audio stream copy" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.mp4"], "missing.mp4: no such file"),
        (["{a}", "--audio", "nope.m4a"], "--audio nope.m4a: no such file"),
        (["{a}", "--duck"], "--duck and --replace-audio need --audio"),
        (["{a}", "--transition", "fade", "--transition-seconds", "0"], "--transition-seconds: must be"),
        (["{a}", "--transition", "spin"], "invalid choice: 'spin'"),
        (["{a}", "{b}", "--transition", "fade", "--transition-seconds", "1.2"], "transition_s: must be > 0"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, clips: list[Path], tmp_path: Path
) -> None:
    dest = tmp_path / "x.mp4"
    words = [w.format(a=clips[0], b=clips[1]) for w in args]
    result = _reelsmith("stitch", *words, "--out", str(dest))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []  # no work folder left behind either


def test_unreadable_clip_is_a_media_error(clips: list[Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 100)
    result = _reelsmith("stitch", str(clips[0]), str(broken), "--out", str(tmp_path / "x.mp4"))
    assert result.returncode == 1
    assert "broken.mp4" in result.stderr
    assert not (tmp_path / "x.mp4").exists()


def test_missing_out_is_a_usage_error(clips: list[Path]) -> None:
    result = _reelsmith("stitch", str(clips[0]))
    assert result.returncode == 2
    assert "--out" in result.stderr


def test_help_lists_every_option() -> None:
    result = _reelsmith("stitch", "--help")
    assert result.returncode == 0
    for option in ("--out", "--transition", "--transition-seconds", "--audio", "--duck", "--loudness"):
        assert option in result.stdout


def test_typer_app_hands_stitch_to_the_same_command(clips: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "typer.mp4"
    result = CliRunner().invoke(app, ["stitch", *map(str, clips), "--out", str(dest), "--transition", "fade"])
    assert result.exit_code == 0, result.output
    assert probe(dest).duration_s == pytest.approx(2.5 - 0.5, abs=0.04)
