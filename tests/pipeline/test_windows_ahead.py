"""Transition windows made while later clips still render, and used by the stitch after the last one."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reelsmith.config import Settings
from reelsmith.db.models import Asset
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.jobs.worker import embedded_worker
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import Transition
from tests.fakes.media import make_mp4
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer, Recorded, Reply
from tests.pipeline.helpers import wait_for_end


class OneAtATime(ReplicateFake):
    """Job n finishes on its (n + 1)th poll, so the clips arrive one after another, in scene order."""

    def _create(self, request: Recorded, match: re.Match[str]) -> Reply:
        reply = super()._create(request, match)
        job = self.jobs[reply.body["id"]]
        job.polls_needed = len(self.jobs)
        return reply


@pytest.fixture
def rt(settings: Settings, tmp_path: Path) -> Iterator[Runtime]:
    clip = make_mp4(tmp_path / "provider.mp4", seconds=2.5).read_bytes()
    with CdnServer() as cdn, OneAtATime(clip, cdn) as fake:
        values: dict[str, Any] = {
            "data_dir": settings.data_dir,
            "database_url": settings.database_url,
            "REPLICATE_API_TOKEN": fake.key,
            "replicate_base_url": fake.base_url,
        }
        runtime = build_runtime(Settings(_env_file=None, **values))  # type: ignore[call-arg]
        with embedded_worker(runtime):
            yield runtime
        runtime.close()


def test_windows_between_clips_that_arrived_early_are_made_before_the_last_one(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="reelsmith.media.stitch"):
        gid = create_generation(
            rt,
            ensure_local_user(rt),
            GenerationCreate(
                prompt="A lantern drifting down a canal",
                scenes=3,
                transition=Transition.FADE,
                providers=ProviderChoice(text="local", video="replicate"),
            ),
            bill=False,
        )
        data = wait_for_end(rt, gid, timeout_s=180)
    assert data["status"] == "completed", data["error_message"]
    with rt.db.read() as session:
        windows = list(
            session.scalars(select(Asset).where(Asset.generation_id == gid, Asset.kind == "join_window"))
        )
    # Clip 1 arrived with clip 0 done and clip 2 still rendering: their window was made then. Clip 2 was the
    # last: its window is the stitch's own work.
    assert len(windows) == 1
    assert "(1 made ahead)" in caplog.text
    assert "full transition re-encode" not in caplog.text
