"""The Runway (image_to_video) adapter against its fake (Luma's adapters: test_luma.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reelsmith.errors import ProviderError
from reelsmith.providers.registry import ProviderRegistry
from tests.fakes.drive import clip_request, run_clip
from tests.fakes.runway_fake import RunwayFake
from tests.fakes.server import CdnServer


@pytest.fixture
def runway(sample_mp4: bytes, cdn: CdnServer) -> Iterator[RunwayFake]:
    with RunwayFake(sample_mp4, cdn) as server:
        yield server


@pytest.fixture
def registry(runway: RunwayFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(RUNWAYML_API_SECRET=runway.key, runway_base_url=runway.base_url)


# The fake speaks gen4_turbo's rules (5 or 10 s); the default gen4.5 takes 2-10 s.
GEN4 = "runway:gen4_turbo"


def test_runway_submit_poll_fetch(
    registry: ProviderRegistry, runway: RunwayFake, reference_png: Path, tmp_path: Path, sample_mp4: bytes
) -> None:
    dest = tmp_path / "clip.mp4"
    request = clip_request(duration_s=8.0, aspect="9:16", reference_images=(reference_png,))
    statuses = run_clip(registry.video(GEN4), request, dest)
    assert [s.state for s in statuses] == ["queued", "running", "succeeded"]
    assert statuses[1].progress == pytest.approx(2 / 3)
    assert statuses[0].poll_after_s == 6.0
    assert dest.read_bytes() == sample_mp4
    body = runway.calls("create")[0].json()
    assert body["model"] == "gen4_turbo"
    assert body["ratio"] == "720:1280"
    assert body["duration"] == 10
    assert body["promptImage"].startswith("data:image/png;base64,")
    assert body["seed"] == 1234


def test_runway_without_reference_is_permanent(registry: ProviderRegistry, runway: RunwayFake) -> None:
    with pytest.raises(ProviderError, match="needs a reference image") as info:
        registry.video(GEN4).submit(clip_request())
    assert info.value.permanent
    assert runway.requests == []


def test_runway_safety_failure_is_permanent(
    registry: ProviderRegistry, reference_png: Path, tmp_path: Path
) -> None:
    request = clip_request(prompt="forbidden", reference_images=(reference_png,))
    last = run_clip(registry.video(GEN4), request, tmp_path / "x.mp4")[-1]
    assert last.state == "failed"
    assert last.permanent
    assert last.reason == "Prompt text did not pass content moderation (SAFETY.INPUT.TEXT)"


def test_runway_missing_key_comes_before_the_reference_check(
    make_registry: Callable[..., ProviderRegistry],
) -> None:
    with pytest.raises(ProviderError, match=r"^runway: RUNWAYML_API_SECRET is not set$"):
        make_registry().video("runway").submit(clip_request())
