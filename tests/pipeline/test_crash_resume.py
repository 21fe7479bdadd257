"""A worker killed with SIGKILL mid-render: a new worker finishes the job without paying twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reelsmith.config import Settings
from reelsmith.db.models import Generation, ProviderCall, Scene, Variant
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.runtime import build_runtime
from reelsmith.vocabulary import AspectRatio
from tests.pipeline.helpers import wait_for_end
from tests.support import wait_until

pytestmark = pytest.mark.slow


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REELSMITH_DATA_DIR": str(settings.data_dir),
        "REELSMITH_DATABASE_URL": settings.effective_database_url,
        "REELSMITH_STALE_AFTER_S": "2",
        "REELSMITH_REAPER_INTERVAL_S": "0.5",
        "REELSMITH_WORKERS": "2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "reelsmith", "worker"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_sigkill_mid_clips_then_resume_submits_each_scene_once(
    settings: Settings, tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    rt = build_runtime(settings)
    user = ensure_local_user(rt)
    gid = create_generation(
        rt,
        user,
        GenerationCreate(prompt="A vintage watch advertisement", scenes=4, aspect_ratio=AspectRatio.SQUARE),
        bill=False,
    )
    log = tmp_path / "workers.log"
    workers.append(_start_worker(settings, log))

    def clip_in_flight() -> bool:
        with rt.db.read() as session:
            states = session.scalars(select(Scene.status).join(Variant).where(Variant.generation_id == gid))
            return any(s in ("submitted", "running") for s in states)

    wait_until(
        clip_in_flight,
        timeout_s=90,
        message=lambda: f"a clip to get in flight; worker log:\n{log.read_text()}",
    )
    os.killpg(workers[0].pid, signal.SIGKILL)  # the worker and its ffmpeg children die mid-render
    workers[0].wait()
    with rt.db.read() as session:
        gen = session.get(Generation, gid)
        assert gen is not None
        assert gen.status == "processing"
        done_at_kill = session.scalar(
            select(func.count())
            .select_from(Scene)
            .join(Variant)
            .where(Variant.generation_id == gid, Scene.status == "completed")
        )
    assert done_at_kill is not None
    assert done_at_kill < 4

    workers.append(_start_worker(settings, log))
    data = wait_for_end(rt, gid, timeout_s=180)
    assert data["status"] == "completed", f"{data['error_message']}\n{log.read_text()}"
    with rt.db.read() as session:
        per_scene = session.execute(
            select(ProviderCall.scene_id, func.count())
            .where(ProviderCall.generation_id == gid, ProviderCall.operation == "submit")
            .group_by(ProviderCall.scene_id)
        ).all()
    assert len(per_scene) == 4
    assert all(count == 1 for _, count in per_scene), per_scene
    # The local provider made exactly one job per scene: nothing was started twice.
    assert len([p for p in settings.local_jobs_dir.iterdir() if p.is_dir()]) == 4
    rt.close()
