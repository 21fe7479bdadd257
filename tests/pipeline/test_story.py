"""Story, video and image modes end to end on the embedded defaults (real database and ffmpeg).

The multi-scene story and the submit-once check run on a real queue consumer; the rest run their
tasks inline, where a generation has ended by the time it is created.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from reelsmith.db.models import Event, Generation, ProviderCall
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.media.loudness import loudness
from reelsmith.media.probe import probe
from reelsmith.runtime import Runtime
from reelsmith.vocabulary import AspectRatio, Mode
from tests.pipeline.helpers import wait_for_end


def test_story_runs_every_step_and_stitches_the_scenes(rt: Runtime) -> None:
    user = ensure_local_user(rt)
    gid = create_generation(
        rt,
        user,
        GenerationCreate(
            prompt="A luxurious perfume advertisement", scenes=3, aspect_ratio=AspectRatio.SQUARE
        ),
        bill=False,
    )
    data = wait_for_end(rt, gid)
    assert data["status"] == "completed", data["error_message"]
    assert data["progress"] == 100
    assert data["current_step"] == "Complete"
    assert [s["name"] for s in data["steps"]] == [
        "story",
        "scenes",
        "enhance",
        "align",
        "clips",
        "stitch",
        "thumbnail",
    ]
    assert all(s["status"] == "done" for s in data["steps"])
    scenes = data["variants"][0]["scenes"]
    assert len(scenes) == 3
    assert all(s["status"] == "completed" and s["provider"] == "local" for s in scenes)
    assert all(Path(s["video_path"]).is_file() and Path(s["thumbnail_path"]).is_file() for s in scenes)
    final = probe(Path(data["video_path"]))
    expected = sum(s["duration_s"] for s in scenes)
    assert abs(final.duration_s - expected) <= 0.5
    assert (final.width, final.height) == (720, 720)
    assert final.video_codec == "h264"
    assert final.audio_codec == "aac"
    assert abs(loudness(Path(data["video_path"])) - (-14.0)) <= 1.0
    assert data["preview_url"]
    assert data["variants"][0]["preview_url"] == data["preview_url"]
    assert {c["task"] for c in data["conversation"]} == {"story", "scenes", "enhance", "align"}
    assert data["title"]


def test_progress_events_follow_the_documented_milestones(inline_runtime: Runtime) -> None:
    user = ensure_local_user(inline_runtime)
    gid = create_generation(
        inline_runtime,
        user,
        GenerationCreate(
            prompt="A lighthouse keeper's last night", scenes=2, aspect_ratio=AspectRatio.SQUARE
        ),
        bill=False,
    )
    assert wait_for_end(inline_runtime, gid)["status"] == "completed"
    with inline_runtime.db.read() as session:
        values = [
            e.payload["progress"]
            for e in session.scalars(
                select(Event).where(Event.generation_id == gid, Event.kind == "progress").order_by(Event.id)
            )
        ]
    assert values == sorted(values)
    for milestone in (30, 55, 60, 65, 80, 95, 100):
        assert milestone in values, values


def test_each_scene_is_submitted_once(rt: Runtime) -> None:
    user = ensure_local_user(rt)
    gid = create_generation(
        rt,
        user,
        GenerationCreate(prompt="A cosy mountain cabin", scenes=3, aspect_ratio=AspectRatio.SQUARE),
        bill=False,
    )
    assert wait_for_end(rt, gid)["status"] == "completed"
    with rt.db.read() as session:
        submits = list(
            session.scalars(
                select(ProviderCall).where(
                    ProviderCall.generation_id == gid, ProviderCall.operation == "submit"
                )
            )
        )
    assert len(submits) == 3
    assert len({c.scene_id for c in submits}) == 3
    assert all(c.status == "succeeded" for c in submits)


def test_video_mode_makes_one_clip_and_a_thumbnail(inline_runtime: Runtime) -> None:
    user = ensure_local_user(inline_runtime)
    gid = create_generation(
        inline_runtime,
        user,
        GenerationCreate(
            mode=Mode.VIDEO,
            prompt="Waves on a black sand beach",
            aspect_ratio=AspectRatio.VERTICAL,
            duration_s=3,
        ),
        bill=False,
    )
    data = wait_for_end(inline_runtime, gid)
    assert data["status"] == "completed", data["error_message"]
    info = probe(Path(data["video_path"]))
    assert (info.width, info.height) == (720, 1280)
    assert abs(info.duration_s - 3) <= 0.1
    assert Path(data["thumbnail_path"]).stat().st_size > 1000


def test_image_mode_makes_a_picture(inline_runtime: Runtime) -> None:
    from PIL import Image

    user = ensure_local_user(inline_runtime)
    gid = create_generation(
        inline_runtime,
        user,
        GenerationCreate(mode=Mode.IMAGE, prompt="A red fox in snow", aspect_ratio=AspectRatio.SQUARE),
        bill=False,
    )
    data = wait_for_end(inline_runtime, gid)
    assert data["status"] == "completed", data["error_message"]
    with Image.open(data["image_path"]) as img:
        assert img.format == "PNG"
        assert img.width == img.height
    assert data["progress"] == 100


def test_a_scene_that_keeps_failing_fails_the_generation_with_its_reason(
    inline_runtime: Runtime, tmp_path: Path
) -> None:
    from PIL import Image

    from reelsmith.generations.uploads import store_reference_image

    picture = tmp_path / "ref.png"
    Image.new("RGB", (64, 64), "teal").save(picture)
    user = ensure_local_user(inline_runtime)
    ref = store_reference_image(inline_runtime, user, picture)
    # Corrupt the stored reference after upload: every render of every attempt must then fail.
    stored = next((inline_runtime.settings.data_dir / "blobs" / "uploads").glob(f"{ref}.*"))
    stored.write_bytes(b"not an image any more")
    gid = create_generation(
        inline_runtime,
        user,
        GenerationCreate(
            mode=Mode.VIDEO, prompt="Spinning vinyl record", duration_s=2, reference_asset_ids=[ref]
        ),
        bill=False,
    )
    data = wait_for_end(inline_runtime, gid)
    assert data["status"] == "failed"
    assert data["error_message"].startswith("Scene 1 failed:")
    scene = data["variants"][0]["scenes"][0]
    assert scene["status"] == "failed"
    assert scene["attempts"] == inline_runtime.settings.clip_attempts
    with inline_runtime.db.read() as session:
        gen = session.get(Generation, gid)
        assert gen is not None
        assert gen.status != "processing"
