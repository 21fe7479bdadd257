"""Transition windows made while later clips still render, and used by the stitch after the last one."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from reelsmith.config import Settings
from reelsmith.db.models import Asset, ProviderCall, Scene, Variant
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.media.stitch.meter import ClipMeter
from reelsmith.runtime import Runtime
from reelsmith.vocabulary import Transition
from tests.fakes.media import make_mp4
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer
from tests.pipeline.helpers import replicate_runtime, wait_for_end
from tests.support import wait_until


@pytest.fixture
def replicate(tmp_path: Path) -> Iterator[ReplicateFake]:
    """The Replicate fake, its jobs unfinished until the test says when each one ends."""
    clip = make_mp4(tmp_path / "provider.mp4", seconds=2.5).read_bytes()
    with CdnServer() as cdn, ReplicateFake(clip, cdn, polls_needed=1_000_000) as fake:
        yield fake


@pytest.fixture
def rt(settings: Settings, replicate: ReplicateFake) -> Iterator[Runtime]:
    """A runtime on the test database whose Replicate is the fake, with the consumer running."""
    with replicate_runtime(settings, replicate) as runtime:
        yield runtime


def finish_in_scene_order(rt: Runtime, replicate: ReplicateFake, generation_id: str, scenes: int) -> None:
    """Once every scene's job is at the provider, let scene n's job finish on its (n + 1)th poll."""

    def submitted() -> list[tuple[str, int]] | None:
        with rt.db.read() as session:
            rows = session.execute(
                select(ProviderCall.external_id, Scene.index)
                .join(Scene, Scene.id == ProviderCall.scene_id)
                .where(ProviderCall.generation_id == generation_id, ProviderCall.external_id.is_not(None))
            ).all()
        jobs = [(str(job), index) for job, index in rows if str(job) in replicate.jobs]
        return jobs if len(jobs) == scenes else None

    for job, index in wait_until(submitted, timeout_s=30):
        replicate.jobs[job].polls_needed = index + 1


def test_windows_between_clips_that_arrived_early_are_made_before_the_last_one(
    rt: Runtime, replicate: ReplicateFake, caplog: pytest.LogCaptureFixture
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
        finish_in_scene_order(rt, replicate, gid, 3)
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
    # Every clip was metered as it arrived, so the stitch levelled the audio by the meters.
    with rt.db.read() as session:
        clips = [
            session.get(Asset, s.clip_asset_id)
            for s in session.scalars(select(Scene).join(Variant).where(Variant.generation_id == gid))
        ]
    assert all(c is not None and ClipMeter.from_json(c.loudness) is not None for c in clips)
    assert len(clips) == 3
