"""A finishing step whose files will never be named by a row deletes them at once: when it fails half-way,
and when its result is not applied (the generation ended meanwhile). A retry stores its own files under
a new render's keys, so these would otherwise wait for the orphan collector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelsmith.config import Settings
from reelsmith.errors import ReelsmithError
from reelsmith.generations import lifecycle
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.pipeline import finishing, runner
from reelsmith.pipeline.unrecorded import blobs_in
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.storage import keys
from tests.pipeline.helpers import wait_for_end


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

    monkeypatch.setitem(
        runner.IMPLEMENTATIONS, "stitch", runner.StepImpl(stitch_then_cancel, finishing.apply_stitch)
    )
    gid = _story(rt)
    data = wait_for_end(rt, gid)

    assert data["status"] == "canceled"
    assert len(seen) == 3  # the video, its poster and its preview were stored
    assert _finals(rt, gid) == []


def test_an_outputs_blobs_are_found_wherever_it_records_them(tmp_path: Path) -> None:
    blob = {"key": "a.mp4", "content_type": "video/mp4", "bytes": 1, "sha256": "0" * 64, "width": 2}
    poster = {**blob, "key": "a_thumb.jpg"}
    output = {
        "variants": {"v1": {"blob": blob, "captions": {}, "thumbnail": poster}, "v2": None},
        "scenes": [{"key": "not-a-blob"}, {**blob, "key": "b.mp4"}],
    }

    assert sorted(blobs_in(output)) == ["a.mp4", "a_thumb.jpg", "b.mp4"]
