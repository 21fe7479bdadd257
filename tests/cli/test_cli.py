"""The `reelsmith` command as a user runs it: real processes, a fresh data dir each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reelsmith.generations.read_models import GenerationRead
from reelsmith.media.probe import probe
from tests.support.cli import run_reelsmith


def run(args: list[str], data_dir: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return run_reelsmith(args, data_dir, timeout=timeout)


def statuses(data_dir: Path) -> list[str]:
    db = data_dir / "reelsmith.db"
    if not db.exists():
        return []
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT status FROM generations"))]
    engine.dispose()
    return rows


@pytest.mark.slow
def test_demo_renders_a_four_scene_video(tmp_path: Path) -> None:
    out = tmp_path / "demo.mp4"
    result = run(["demo", "--out", str(out)], tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out.resolve())
    info = probe(out)
    assert info.video_codec == "h264"
    assert info.audio_codec == "aac"
    assert statuses(tmp_path / "data") == ["completed"]
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'reelsmith.db'}")
    with engine.connect() as conn:
        durations = [r[0] for r in conn.execute(text("SELECT duration_s FROM scenes"))]
    engine.dispose()
    assert len(durations) >= 4
    assert abs(info.duration_s - sum(durations)) <= 0.5


@pytest.mark.slow
def test_generate_json_story_in_portrait(tmp_path: Path) -> None:
    result = run(
        [
            "generate",
            "A luxurious perfume advertisement",
            "--mode",
            "story",
            "--scenes",
            "2",
            "--aspect",
            "9:16",
            "--json",
        ],
        tmp_path / "data",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # The same shape as the API's, plus local file paths.
    read = GenerationRead.model_validate(data)
    assert read.status == "completed"
    assert read.progress == 100
    assert read.video_path
    scenes = data["variants"][0]["scenes"]
    assert len(scenes) == 2
    assert all(s["video_url"] and s["thumbnail_url"] for s in scenes)
    final = probe(Path(data["video_path"]))
    assert final.height > final.width
    assert abs(final.duration_s - sum(s["duration_s"] for s in scenes)) <= 0.5


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["generate", ""], "prompt"),
        (["generate", "   "], "prompt"),
        (["generate", "a cat", "--scenes", "0"], "--scenes"),
        (["generate", "a cat", "--scenes", "100"], "--scenes"),
        (["generate", "a cat", "--aspect", "4:3"], "--aspect"),
        (["generate", "a cat", "--mode", "sitcom"], "--mode"),
        (["generate", "a cat", "--image", "missing.png"], "missing.png"),
        (["generate", "a cat", "--image", "CORRUPT"], "corrupt.png"),
        (["generate", "a cat", "--video-provider", "nosuch"], "nosuch"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_leaves_nothing_processing(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    args = [str(corrupt) if a == "CORRUPT" else a for a in args]
    result = run(args, tmp_path / "data", timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert needle in lines[0], result.stderr
    assert "processing" not in statuses(tmp_path / "data")
    assert "queued" not in statuses(tmp_path / "data")


@pytest.mark.slow
def test_two_generate_runs_at_once_on_one_data_dir_both_complete(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_")}
    env["REELSMITH_DATA_DIR"] = str(data_dir)
    env["REELSMITH_NARRATE_BY_DEFAULT"] = "false"
    cmd = [
        sys.executable,
        "-m",
        "reelsmith",
        "generate",
        "--mode",
        "story",
        "--scenes",
        "2",
        "--aspect",
        "1:1",
        "--json",
    ]
    procs = [
        subprocess.Popen([*cmd, prompt], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for prompt in ("A bakery at dawn", "A surfboard brand launch")
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    for proc, (stdout, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, stderr
        assert "database is locked" not in stderr
        assert json.loads(stdout)["status"] == "completed"
    assert statuses(data_dir) == ["completed", "completed"]


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run(["--help"], tmp_path / "data", timeout=30)
    assert result.returncode == 0
    for command in ("demo", "generate", "stitch", "worker", "db"):
        assert command in result.stdout


def test_providers_marks_a_shut_down_model_with_its_replacement(tmp_path: Path) -> None:
    result = run(["providers", "--no-check"], tmp_path / "data")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("openai video model sora-2")]
    assert lines == [
        "openai video model sora-2: shut down 2026-09-24; use replicate:kwaivgi/kling-v3-video instead"
    ]
