"""Ad clone mode: a source ad's pacing, rewritten for the product, cut into intensity variants and scored."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from reelsmith.accounts.service import create_user
from reelsmith.db.models import User
from reelsmith.errors import InvalidInput
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.generations.uploads import store_upload
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.probe import probe
from reelsmith.pipeline.adclone import (
    MAX_SCENE_S,
    MIN_SCENE_S,
    check_intensities,
    cuts_of_final,
    lengths_for,
    pace,
    pacing_similarity,
)
from reelsmith.runtime import Runtime
from reelsmith.vocabulary import CLIP_PRICE, Intensity, Mode
from tests.pipeline.helpers import wait_for_end

# Four shots of different test patterns: hard cuts at 3.0, 5.5 and 9.5 s, 11.5 s in all.
SOURCE_CUTS = (3.0, 5.5, 9.5)


def source_ad(dest: Path) -> Path:
    """A short 'ad' of four visibly different shots with a soundtrack."""
    run_ffmpeg([
        "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=3",
        "-f", "lavfi", "-i", "smptebars=s=640x360:r=30:d=2.5",
        "-f", "lavfi", "-i", "testsrc=s=640x360:r=30:d=4",
        "-f", "lavfi", "-i", "rgbtestsrc=s=640x360:r=30:d=2",
        "-f", "lavfi", "-i", "sine=r=48000:d=11.5",
        "-filter_complex", "[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0,format=yuv420p[v]",
        "-map", "[v]", "-map", "4:a", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
        "-t", "11.5", str(dest),
    ])  # fmt: skip
    return dest


@pytest.fixture(scope="module")
def source_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return source_ad(tmp_path_factory.mktemp("ad") / "source.mp4")


def test_ad_clone_makes_scored_variants_that_follow_the_source(rt: Runtime, source_file: Path) -> None:
    with rt.db.write() as session:
        user = create_user(session, "maker", None, tokens=100).id
    source = store_upload(rt, user, source_file, expect="video")
    gid = create_generation(
        rt,
        user,
        GenerationCreate(
            mode=Mode.AD_CLONE,
            prompt="Trailblazer running shoes for muddy mornings",
            source_asset_id=source.id,
            variants=[Intensity.AGGRESSIVE, Intensity.SOFT],
        ),
    )
    data = wait_for_end(rt, gid)
    assert data["status"] == "completed", data["error_message"]
    assert data["tokens_charged"] == 2 * 4 * CLIP_PRICE
    with rt.db.read() as session:
        assert session.get(User, user).token_balance == 100 - 80  # type: ignore[union-attr]
    assert [s["name"] for s in data["steps"]][:3] == ["source", "transform", "variants"]
    assert data["title"]  # written by the transform step
    assert data["source"]["shot_count"] == 4
    assert data["source"]["cuts"] == pytest.approx(SOURCE_CUTS, abs=0.05)
    assert [v["kind"] for v in data["variants"]] == ["soft", "aggressive"]
    soft, aggressive = data["variants"]
    for variant in data["variants"]:
        assert variant["status"] == "completed"
        assert len(variant["scenes"]) == 4
        lengths = [s["duration_s"] for s in variant["scenes"]]
        assert all(MIN_SCENE_S <= x <= MAX_SCENE_S for x in lengths)
        final = probe(Path(variant["video_path"]))
        assert final.duration_s == pytest.approx(sum(lengths), abs=0.1)
        evaluation = variant["evaluation"]
        assert 0 <= evaluation["score"] <= 100
        assert len(evaluation["reasons"]) == 3
        # Every scene join is a cut of the final video (plus any cut detected inside a clip).
        for join in itertools.accumulate(lengths[:-1]):
            assert min(abs(c - join) for c in evaluation["cuts"]) <= 0.1, (join, evaluation["cuts"])
    # Soft keeps the source's rhythm: its cuts sit where the source's do, relative to the length.
    assert soft["evaluation"]["pacing_similarity"] >= 0.8
    assert sum(s["duration_s"] for s in aggressive["scenes"]) < sum(s["duration_s"] for s in soft["scenes"])
    assert soft["scenes"][0]["description"] != aggressive["scenes"][0]["description"]
    best = max(data["variants"], key=lambda v: v["evaluation"]["score"])
    assert data["video_url"] == best["video_url"]


def test_an_ad_clone_needs_a_video_source(inline_runtime: Runtime, tmp_path: Path) -> None:
    from PIL import Image

    user = ensure_local_user(inline_runtime)
    with pytest.raises(InvalidInput, match="source_asset_id"):
        create_generation(inline_runtime, user, GenerationCreate(mode=Mode.AD_CLONE, prompt="x"), bill=False)
    picture = tmp_path / "p.png"
    Image.new("RGB", (8, 8)).save(picture)
    image = store_upload(inline_runtime, user, picture)
    with pytest.raises(InvalidInput, match="is not a video"):
        create_generation(
            inline_runtime,
            user,
            GenerationCreate(mode=Mode.AD_CLONE, prompt="x", source_asset_id=image.id),
            bill=False,
        )
    with pytest.raises(InvalidInput, match="no such asset"):
        create_generation(
            inline_runtime,
            user,
            GenerationCreate(mode=Mode.AD_CLONE, prompt="x", source_asset_id="nope"),
            bill=False,
        )
    short = tmp_path / "short.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=1", "-c:v", "libx264", str(short)])
    clip = store_upload(inline_runtime, user, short, expect="video")
    with pytest.raises(InvalidInput, match="ad clones take"):
        create_generation(
            inline_runtime,
            user,
            GenerationCreate(mode=Mode.AD_CLONE, prompt="x", source_asset_id=clip.id),
            bill=False,
        )


def test_pace_follows_source_cuts_within_bounds() -> None:
    lengths = pace(11.5, SOURCE_CUTS)
    assert len(lengths) == 4
    assert sum(lengths) == pytest.approx(12.0)
    # The first two boundaries land on the source's cuts at 3.0 and 5.5 s (scaled to 12 s).
    assert lengths[0] == pytest.approx(3.0 * 12 / 11.5, abs=0.01)
    assert lengths[0] + lengths[1] == pytest.approx(5.5 * 12 / 11.5, abs=0.02)
    long = pace(120.0, [5.0 * k for k in range(1, 24)])
    assert sum(long) == pytest.approx(40.0)
    assert all(MIN_SCENE_S <= x <= MAX_SCENE_S for x in long)
    lopsided = pace(20.0, [19.0])  # one long shot and a short ending
    assert sum(lopsided) == pytest.approx(20.0)
    assert all(MIN_SCENE_S <= x <= MAX_SCENE_S for x in lopsided)


def test_variant_lengths_by_intensity() -> None:
    source = [3.0, 2.5, 4.0, 2.5]
    assert lengths_for("soft", source) == source
    assert lengths_for("medium", source) == source
    assert sum(lengths_for("aggressive", source)) == pytest.approx(0.8 * 12.0)
    assert lengths_for("ultra", source) == [3.0, 3.0, 3.0, 3.0]


def test_pacing_similarity() -> None:
    assert pacing_similarity([3, 6, 9], 12, [3, 6, 9], 12) == 1.0
    assert pacing_similarity([3, 6, 9], 12, [6, 12, 18], 24) == 1.0  # same rhythm, twice as long
    assert pacing_similarity([1], 12, [11], 12) == 0.0
    assert 0.0 < pacing_similarity([3, 6, 9], 12, [4, 6, 8], 12) < 1.0
    assert pacing_similarity([], 12, [], 10) == 1.0


def test_intensities_are_checked_and_ordered() -> None:
    assert check_intensities(["ultra", "soft", "soft"]) == ["soft", "ultra"]
    with pytest.raises(InvalidInput, match="variants"):
        check_intensities(["wild"])


def testcuts_of_final_keep_joins_and_add_cuts_inside_clips() -> None:
    # A join at 3 s that detection missed, one it found (at 6.1 s), and a cut inside the last clip.
    assert cuts_of_final([3.0, 3.0, 4.0], 10.0, [6.1, 8.0]) == [3.0, 6.0, 8.0]
    # Transitions shorten the final video; the joins move with it.
    assert cuts_of_final([4.0, 4.0], 7.5, []) == [3.75]
