"""The poster and hover preview come with the stitch, made from the final file before it is stored; the
thumbnail step makes them only for a video that has none of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from reelsmith.db.models import Asset, Generation, Variant
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.pipeline.finishing import apply_thumbnail, compute_thumbnail
from reelsmith.runtime import Runtime
from reelsmith.storage import keys
from reelsmith.vocabulary import AspectRatio, Mode
from tests.pipeline.helpers import wait_for_end


@pytest.fixture
def finished(inline_runtime: Runtime) -> tuple[Runtime, str, str]:
    """A completed one-clip generation: (the runtime, its id, its variant's id)."""
    rt = inline_runtime
    gid = create_generation(
        rt,
        ensure_local_user(rt),
        GenerationCreate(
            mode=Mode.VIDEO, prompt="Waves on a beach", aspect_ratio=AspectRatio.VERTICAL, duration_s=3
        ),
        bill=False,
    )  # fmt: skip
    data = wait_for_end(rt, gid)
    assert data["status"] == "completed", data["error_message"]
    return rt, gid, data["variants"][0]["id"]


def _keys(rt: Runtime, variant_id: str) -> tuple[str, str, str]:
    """Storage keys of the variant's video, poster and preview."""
    with rt.db.read() as session:
        variant = session.get(Variant, variant_id)
        assert variant is not None
        assets = [session.get(Asset, a) for a in (variant.video_asset_id, variant.thumbnail_asset_id,
                                                  variant.preview_asset_id)]  # fmt: skip
        video, poster, preview = (a.storage_key for a in assets if a is not None)
    return video, poster, preview


def test_the_poster_is_the_final_video_s_own_and_the_thumbnail_step_reads_no_video(
    finished: tuple[Runtime, str, str],
) -> None:
    rt, gid, variant_id = finished
    video, poster, preview = _keys(rt, variant_id)
    assert poster == keys.poster_of_final(video)
    with rt.blobs.local_path(poster) as path, Image.open(path) as image:
        assert image.size == (640, round(640 * 1280 / 720))
    with rt.blobs.local_path(preview) as path:
        assert Path(path).stat().st_size > 1000
    # With the video gone from the store, the thumbnail step still ends: it has nothing to read.
    rt.blobs.delete_prefix(video)
    output = compute_thumbnail(rt, gid)
    assert output == {"variants": {variant_id: None}}


def test_a_video_without_a_poster_of_its_own_gets_one_from_the_thumbnail_step(
    finished: tuple[Runtime, str, str],
) -> None:
    rt, gid, variant_id = finished
    _, stitched_poster, _ = _keys(rt, variant_id)
    with rt.db.write() as session:
        # As a video stitched before posters came with the stitch: its poster is some other picture.
        variant = session.get(Variant, variant_id)
        assert variant is not None
        variant.thumbnail_asset_id = variant.scenes[0].thumbnail_asset_id
    output = compute_thumbnail(rt, gid)
    made = output["variants"][variant_id]
    assert made is not None
    with rt.db.write() as session:
        gen = session.get(Generation, gid)
        assert gen is not None
        apply_thumbnail(session, gen, output)
    _, poster, preview = _keys(rt, variant_id)
    assert poster == made["thumbnail"]["key"] != stitched_poster
    assert preview == made["preview"]["key"]
    with rt.blobs.local_path(poster) as path, Image.open(path) as image:
        assert image.format == "JPEG"
