"""Outages of the services the workers depend on: an unreachable bucket is told apart from a missing blob,
a step interrupted by an outage is retried instead of failing its generation, and a fetched clip that
could not be recorded leaves no blobs behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reelsmith.config import Settings
from reelsmith.db.models import Generation, Step
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.pipeline import runner
from reelsmith.pipeline.assets import StoredBlob
from reelsmith.pipeline.clips.fetch import FetchedClip, discard_unrecorded_clip
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.storage import keys
from reelsmith.storage.base import StorageUnavailable
from reelsmith.vocabulary import GenerationStatus, StepStatus
from tests.support import free_port


def test_an_unreachable_bucket_is_unavailable_not_missing(tmp_path: Path) -> None:
    pytest.importorskip("boto3")
    import boto3
    from botocore.config import Config

    from reelsmith.storage.s3 import S3BlobStore

    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = S3BlobStore("bucket", endpoint_url=endpoint, scratch=tmp_path)
    # One attempt, no backoff: the outage is the point, not boto3's patience.
    store._client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1),
    )
    with pytest.raises(StorageUnavailable) as caught:
        store.put_bytes("uploads/a.txt", b"x", "text/plain")
    assert caught.value.http_status == 503
    with pytest.raises(StorageUnavailable):
        store.exists("uploads/a.txt")


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings, inline=True)
    yield runtime
    runtime.close()


def test_a_step_interrupted_by_an_outage_waits_for_a_retry(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(_rt: Runtime, _gid: str) -> dict[str, Any]:
        raise StorageUnavailable("storage unreachable while storing generations/x/story.json")

    # The outage strikes the first step; the rest of the pipeline is the real one.
    monkeypatch.setitem(runner.IMPLEMENTATIONS, "story", runner.StepImpl(unreachable))
    user = ensure_local_user(rt)
    gid = create_generation(
        rt, user, GenerationCreate(prompt="A storm over the harbour", scenes=2), bill=False
    )

    with rt.db.read() as session:
        gen = session.get(Generation, gid)
        step = session.get(Step, (gid, "story"))
        assert gen is not None
        assert step is not None
        assert gen.status == GenerationStatus.PROCESSING
        assert gen.error_message is None
        # Left running with its heartbeat stopped: the reaper hands it out again once it is stale.
        assert step.status == StepStatus.RUNNING
        assert step.attempts == 1


def _stored(rt: Runtime, key: str) -> StoredBlob:
    size = rt.blobs.put_bytes(key, b"data", "video/mp4")
    return StoredBlob(key, "video/mp4", size, "0" * 64)


def test_a_fetched_clip_nobody_recorded_is_deleted(rt: Runtime) -> None:
    render = keys.render_id()
    clip = _stored(rt, keys.scene_clip("g1", "default", 0, render))
    thumb = _stored(rt, keys.scene_thumbnail("g1", "default", 0, render))
    fetched = FetchedClip("s1", "g1", "u1", 0, "local", "job-1", clip, thumb)

    assert discard_unrecorded_clip(rt, fetched)
    assert not rt.blobs.exists(clip.key)
    assert not rt.blobs.exists(thumb.key)


def test_a_recorded_clip_is_kept(rt: Runtime) -> None:
    from reelsmith.pipeline.assets import add_asset

    user = ensure_local_user(rt)
    render = keys.render_id()
    clip = _stored(rt, keys.scene_clip("g1", "default", 0, render))
    thumb = _stored(rt, keys.scene_thumbnail("g1", "default", 0, render))
    with rt.db.write() as session:  # a clip is recorded with its poster, in one transaction
        add_asset(session, user, None, "clip", clip)
        add_asset(session, user, None, "thumbnail", thumb)
    fetched = FetchedClip("s1", "g1", user, 0, "local", "job-1", clip, thumb)

    assert not discard_unrecorded_clip(rt, fetched)
    assert rt.blobs.exists(clip.key)
    assert rt.blobs.exists(thumb.key)
    with rt.db.read() as session:
        assert session.scalars(select(Generation)).all() == []
