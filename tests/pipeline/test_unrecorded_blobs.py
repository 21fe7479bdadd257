"""A finishing step whose files will never be named by a row deletes them at once: when it fails half-way,
and when its result is not applied (the generation ended meanwhile). A retry stores its own files under
a new render's keys, so these would otherwise wait for the orphan collector. Files that cannot be
deleted at once (the bucket is away) are deleted when it is back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from reelsmith.config import Settings
from reelsmith.errors import ReelsmithError
from reelsmith.generations import lifecycle
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.pipeline import finishing, runner, speech_task, unrecorded
from reelsmith.pipeline.unrecorded import blobs_in
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.storage import keys
from tests.pipeline.helpers import wait_for_end
from tests.support import wait_until
from tests.support.buckets import s3_server
from tests.support.proxy import TcpProxy


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings, inline=True)
    yield runtime
    runtime.close()


def _finals(rt: Runtime, gid: str) -> list[str]:
    """The generation's final-video files in the store (video, poster, preview, captions)."""
    return sorted(b.key for b in rt.blobs.list_blobs(keys.generation_prefix(gid)) if "/final" in b.key)


def _story(rt: Runtime) -> str:
    return create_generation(
        rt, ensure_local_user(rt), GenerationCreate(prompt="A kite over the dunes", scenes=2), bill=False
    )


def test_a_stitch_that_fails_after_storing_the_video_leaves_no_files(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def poster_crash(*_args: Any) -> dict[str, Any]:
        raise ReelsmithError("the poster encoder crashed", code="media")

    # The final video is stored beside the posters; the posters fail once it is being stored.
    monkeypatch.setattr(finishing, "_posters", poster_crash)
    gid = _story(rt)
    data = wait_for_end(rt, gid)

    assert data["status"] == "failed"
    assert _finals(rt, gid) == []


def test_a_stitch_finished_after_its_generation_was_canceled_leaves_no_files(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def stitch_then_cancel(runtime: Runtime, generation_id: str) -> dict[str, Any]:
        output = finishing.compute_stitch(runtime, generation_id)
        seen.extend(blobs_in(output))
        lifecycle.cancel(runtime, generation_id)  # the owner cancels while the step is finishing
        return output

    real = runner.IMPLEMENTATIONS["stitch"]
    monkeypatch.setitem(runner.IMPLEMENTATIONS, "stitch", replace(real, compute=stitch_then_cancel))
    gid = _story(rt)
    data = wait_for_end(rt, gid)

    assert data["status"] == "canceled"
    assert len(seen) == 3  # the video, its poster and its preview were stored
    assert _finals(rt, gid) == []


def test_an_outputs_blobs_are_found_wherever_it_records_them() -> None:
    blob = {"key": "a.mp4", "content_type": "video/mp4", "bytes": 1, "sha256": "0" * 64, "width": 2}
    poster = {**blob, "key": "a_thumb.jpg"}
    output = {
        "variants": {"v1": {"blob": blob, "captions": {}, "thumbnail": poster}, "v2": None},
        "scenes": [{"key": "not-a-blob"}, {**blob, "key": "b.mp4"}],
    }

    assert sorted(blobs_in(output)) == ["a.mp4", "a_thumb.jpg", "b.mp4"]


@pytest.fixture
def bucket_rt(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Runtime, TcpProxy]]:
    """A runtime whose blob store is a real S3 server behind a proxy that can cut it off."""
    monkeypatch.setattr(unrecorded, "RETRY_S", 0.2)
    with s3_server("reelsmith-later") as port:
        proxy = TcpProxy(port).start()
        runtime = build_runtime(
            settings.model_copy(
                update={"storage_url": "s3://reelsmith-later/t", "s3_endpoint_url": proxy.url}
            ),
            inline=True,
        )
        yield runtime, proxy
        runtime.close()
        proxy.stop()


def test_a_blob_the_bucket_could_not_delete_is_deleted_once_it_is_back(
    bucket_rt: tuple[Runtime, TcpProxy],
) -> None:
    rt, proxy = bucket_rt
    key = keys.final_video("g1", "default", keys.render_id())
    rt.blobs.put_bytes(key, b"half a stitch", "video/mp4")

    proxy.cut()
    unrecorded.discard_blobs(rt, [key])
    assert rt.later_discards.pending == [key]
    proxy.mend()

    wait_until(lambda: not rt.later_discards.pending, message="the blob to be deleted after the outage")
    assert not rt.blobs.exists(key)


def test_a_blob_a_row_came_to_name_is_not_deleted_later(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from reelsmith.pipeline.assets import StoredBlob, add_asset

    monkeypatch.setattr(unrecorded, "RETRY_S", 0.05)
    key = keys.final_video("g1", "default", keys.render_id())
    size = rt.blobs.put_bytes(key, b"a stitch", "video/mp4")
    with rt.db.write() as session:  # the commit whose answer was lost went through after all
        add_asset(session, ensure_local_user(rt), None, "video", StoredBlob(key, "video/mp4", size, "0" * 64))

    rt.later_discards.add([key])
    wait_until(lambda: not rt.later_discards.pending, message="the key to be looked at again")
    assert rt.blobs.exists(key)


def test_a_spoken_line_whose_recording_fails_leaves_no_audio(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_away(*_args: Any) -> bool:
        raise ConnectionError("the database went away while the line was recorded")

    monkeypatch.setattr(speech_task, "_record", database_away)
    with pytest.raises(ConnectionError):  # the inline queue hands a task's error to its caller
        create_generation(
            rt,
            ensure_local_user(rt),
            GenerationCreate(prompt="A kite over the dunes", scenes=1, narration=True),
            bill=False,
        )

    spoken = [b.key for b in rt.blobs.list_blobs("generations/") if "_speech" in b.key]
    assert spoken == []
