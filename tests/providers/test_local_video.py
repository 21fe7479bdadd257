"""The local video model: an idempotent, crash-safe job service over the local renderer.

Every render here is real (short 1:1 clips, a fraction of a second each); renders are counted with the
model's own `render_count`, and concurrency and crashes use real threads, processes and signals.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelsmith.errors import ProviderError
from reelsmith.media.render import RenderSpec, render_clip
from reelsmith.providers.base import ClipRequest, VideoModel
from reelsmith.providers.local import LocalVideoModel
from tests.support import wait_until


def clip_request(key: str = "scene-1", **changes: object) -> ClipRequest:
    values: dict[str, object] = {
        "prompt": "A luxurious perfume on marble",
        "duration_s": 1.0,
        "aspect": "1:1",
        "seed": 7,
        "idempotency_key": key,
        "on_screen_text": "Meet Aurora",
        "camera": "slow push-in",
        "title": "Aurora",
        "scene_index": 0,
        "scene_count": 2,
    } | changes
    return ClipRequest(**values)  # type: ignore[arg-type]


def job_dirs(model: LocalVideoModel) -> list[Path]:
    return sorted(p for p in model.work_dir.iterdir() if p.is_dir())


def write_lock(
    model: LocalVideoModel, job_id: str, *, pid: int, age_s: float = 0.0, token: str = "t" * 32
) -> Path:
    lock = model.work_dir / job_id / "lock"
    holder = {"pid": pid, "host": os.uname().nodename, "token": token, "started_at": time.time() - age_s}
    lock.write_text(json.dumps(holder))
    return lock


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The pid of another process that stays alive for the test."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_is_a_video_model(video_model: LocalVideoModel) -> None:
    assert isinstance(video_model, VideoModel)
    assert video_model.name == "local"
    assert video_model.model.startswith("local-")


def test_submit_twice_with_the_same_key_makes_one_job(video_model: LocalVideoModel) -> None:
    first = video_model.submit(clip_request("scene-1"))
    second = video_model.submit(clip_request("scene-1"))
    assert first == second
    assert first.poll_after_s == 0.0
    assert [p.name for p in job_dirs(video_model)] == [first.external_id]


def test_submit_is_cheap_and_records_the_spec(video_model: LocalVideoModel, tmp_path: Path) -> None:
    ref = tmp_path / "ref.png"
    ref.write_bytes(b"png")
    handle = video_model.submit(clip_request(reference_images=(ref,)))
    job = video_model.work_dir / handle.external_id
    assert sorted(p.name for p in job.iterdir()) == ["spec.json"]  # no clip, no lock, no temp file
    render = json.loads((job / "spec.json").read_text())["render"]
    assert render == {
        "duration_s": 1.0, "aspect": "1:1", "seed": 7, "headline": "Meet Aurora", "caption": "Aurora",
        "images": [str(ref.resolve())], "camera": "slow push-in", "scene_index": 0, "scene_count": 2,
    }  # fmt: skip


def test_different_keys_make_different_filesystem_safe_jobs(video_model: LocalVideoModel) -> None:
    a = video_model.submit(clip_request("gen/1:scene/0"))
    b = video_model.submit(clip_request("gen/1:scene/1"))
    assert a.external_id != b.external_id
    assert all(c in "0123456789abcdef" for c in a.external_id + b.external_id)


@pytest.mark.parametrize(("field", "value"), [("aspect", "4:3"), ("duration_s", 0.0)])
def test_unrenderable_request_is_refused_permanently(
    video_model: LocalVideoModel, field: str, value: Any
) -> None:
    with pytest.raises(ProviderError) as info:
        video_model.submit(dataclasses.replace(clip_request(), **{field: value}))
    assert info.value.permanent


@pytest.mark.parametrize("job_id", ["0" * 32, "../../etc", ""])
def test_unknown_job_fails_permanently(video_model: LocalVideoModel, job_id: str) -> None:
    status = video_model.poll(job_id)
    assert status.state == "failed"
    assert status.permanent
    with pytest.raises(ProviderError) as info:
        video_model.fetch(job_id, video_model.work_dir / "out.mp4")
    assert info.value.permanent


def files_in(model: LocalVideoModel, job_id: str) -> list[str]:
    return sorted(p.name for p in (model.work_dir / job_id).iterdir())


FINISHED = ["clip.mp4", "renders.log", "spec.json"]  # no lock, no temp file


def write_png(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 120, 40)).save(path, format="PNG")


def test_poll_renders_once_then_reports_success(video_model: LocalVideoModel, tmp_path: Path) -> None:
    job_id = video_model.submit(clip_request()).external_id
    assert video_model.render_count(job_id) == 0
    assert video_model.poll(job_id).state == "succeeded"
    assert video_model.poll(job_id).state == "succeeded"
    assert video_model.render_count(job_id) == 1
    assert files_in(video_model, job_id) == FINISHED
    # The clip is exactly what the renderer makes of the request (the render is deterministic).
    expected = tmp_path / "expected.mp4"
    render_clip(
        RenderSpec(
            duration_s=1.0,
            aspect="1:1",
            seed=7,
            headline="Meet Aurora",
            caption="Aurora",
            camera="slow push-in",
            scene_index=0,
            scene_count=2,
        ),
        expected,
    )
    assert (video_model.work_dir / job_id / "clip.mp4").read_bytes() == expected.read_bytes()


def test_fetch_before_the_clip_exists_is_a_retryable_error(
    video_model: LocalVideoModel, tmp_path: Path
) -> None:
    job_id = video_model.submit(clip_request()).external_id
    with pytest.raises(ProviderError) as info:
        video_model.fetch(job_id, tmp_path / "out.mp4")
    assert not info.value.permanent


@pytest.mark.parametrize("broken", ["corrupt", "deleted"])
def test_render_failure_fails_the_job_retryably_and_frees_it(
    video_model: LocalVideoModel, tmp_path: Path, broken: str
) -> None:
    ref = tmp_path / "ref.png"
    write_png(ref)
    job_id = video_model.submit(clip_request(reference_images=(ref,))).external_id
    if broken == "corrupt":
        ref.write_bytes(b"these bytes are not an image")
    else:
        ref.unlink()
    status = video_model.poll(job_id)
    assert status.state == "failed"
    assert not status.permanent
    assert status.reason is not None
    assert status.reason.startswith("local render failed")
    assert files_in(video_model, job_id) == ["renders.log", "spec.json"]  # lock and temp files gone
    write_png(ref)
    assert video_model.poll(job_id).state == "succeeded"  # a retry renders again
    assert video_model.render_count(job_id) == 2


def test_lock_held_by_a_live_process_reports_running(video_model: LocalVideoModel, live_pid: int) -> None:
    job_id = video_model.submit(clip_request()).external_id
    lock = write_lock(video_model, job_id, pid=live_pid)
    status = video_model.poll(job_id)
    assert status.state == "running"
    assert status.poll_after_s == 1.0
    assert lock.exists()
    assert video_model.render_count(job_id) == 0


def test_stale_lock_from_a_dead_pid_is_taken_over(video_model: LocalVideoModel, dead_pid: int) -> None:
    job_id = video_model.submit(clip_request()).external_id
    token = "d" * 32
    write_lock(video_model, job_id, pid=dead_pid, token=token)
    leftover = video_model.work_dir / job_id / f"clip.{token}.part.mp4"
    leftover.write_bytes(b"half a clip")
    assert video_model.poll(job_id).state == "succeeded"
    assert video_model.render_count(job_id) == 1
    assert files_in(video_model, job_id) == FINISHED


def test_lock_older_than_the_stale_limit_is_taken_over(tmp_path: Path, live_pid: int) -> None:
    model = LocalVideoModel(tmp_path / "jobs", stale_after_s=60)
    job_id = model.submit(clip_request()).external_id
    write_lock(model, job_id, pid=live_pid, age_s=3600)  # a hung worker, or a reused pid
    assert model.poll(job_id).state == "succeeded"
    assert model.render_count(job_id) == 1


def test_concurrent_polls_render_once(video_model: LocalVideoModel) -> None:
    job_id = video_model.submit(clip_request()).external_id
    pollers = 4
    start = threading.Barrier(pollers)
    results: list[str] = []

    def poll() -> None:
        start.wait(10)
        results.append(video_model.poll(job_id).state)

    threads = [threading.Thread(target=poll) for _ in range(pollers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == pollers
    assert set(results) <= {"running", "succeeded"}
    assert "succeeded" in results
    assert "running" in results
    assert video_model.render_count(job_id) == 1
    assert files_in(video_model, job_id) == FINISHED


_WORKER = (
    "import sys; from pathlib import Path; from reelsmith.providers.local import LocalVideoModel; "
    "LocalVideoModel(Path(sys.argv[1])).poll(sys.argv[2])"
)


def test_worker_killed_mid_render_is_recovered(video_model: LocalVideoModel, tmp_path: Path) -> None:
    job_id = video_model.submit(clip_request()).external_id
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "TMPDIR": str(tmp_path)}
    # Its own session, so the kill takes the worker's ffmpeg child down with it, as a crash would.
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(video_model.work_dir), job_id], env=env, start_new_session=True
    )
    try:
        wait_until(
            lambda: video_model.render_count(job_id) == 1 or worker.poll() is not None,
            interval_s=0.001,  # the render takes a fraction of a second; catch it while it runs
            message="the worker to start rendering",
        )
        os.killpg(worker.pid, signal.SIGSTOP)  # frozen mid-render, still holding the lock
        assert video_model.poll(job_id).state == "running", "the worker finished before it was stopped"
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        status = video_model.poll(job_id)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert status.state == "succeeded", status.reason
    assert video_model.render_count(job_id) == 2
    assert files_in(video_model, job_id) == FINISHED
    video_model.fetch(job_id, tmp_path / "out.mp4")
    assert_playable(tmp_path / "out.mp4", seconds=1.0, size=(720, 720))


def assert_playable(path: Path, *, seconds: float, size: tuple[int, int]) -> None:
    """Decode the whole file: H.264 video of `size` at 30 fps for `seconds`, plus an AAC audio track."""
    import av

    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert (video.codec_context.width, video.codec_context.height) == size
        assert container.streams.audio
        assert container.streams.audio[0].codec_context.name == "aac"
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == pytest.approx(seconds * 30, abs=1)


@pytest.mark.parametrize(
    ("aspect", "size"), [("1:1", (720, 720)), ("16:9", (1280, 720)), ("9:16", (720, 1280))]
)
def test_poll_and_fetch_give_a_playable_clip(
    video_model: LocalVideoModel, tmp_path: Path, aspect: str, size: tuple[int, int]
) -> None:
    job_id = video_model.submit(clip_request(aspect=aspect)).external_id
    status = video_model.poll(job_id)
    assert status.state == "succeeded", status.reason
    assert status.progress == 1.0
    dest = tmp_path / "out" / "scene_0.mp4"
    video_model.fetch(job_id, dest)
    assert_playable(dest, seconds=1.0, size=size)
    assert [p.name for p in dest.parent.iterdir()] == ["scene_0.mp4"]  # no temp file left behind


def test_render_count_of_an_unknown_job_is_zero(video_model: LocalVideoModel) -> None:
    assert video_model.render_count("0" * 32) == 0
    assert video_model.render_count("../../etc") == 0
