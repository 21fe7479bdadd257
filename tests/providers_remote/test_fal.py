"""fal adapters (queue API; video and image) against the fake fal queue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from reelsmith.errors import ProviderError
from reelsmith.providers.base import ImageRequest
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.vocabulary import AspectRatio
from tests.fakes.drive import clip_request, run_clip
from tests.fakes.fal_fake import FalFake
from tests.fakes.server import CdnServer, status_fault


@pytest.fixture
def fake(sample_mp4: bytes, cdn: CdnServer) -> Iterator[FalFake]:
    with FalFake(sample_mp4, cdn) as server:
        yield server


@pytest.fixture
def registry(fake: FalFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(FAL_KEY=fake.key, fal_base_url=fake.base_url)


def test_video_uses_the_returned_urls(
    registry: ProviderRegistry, fake: FalFake, cdn: CdnServer, tmp_path: Path, sample_mp4: bytes
) -> None:
    dest = tmp_path / "clip.mp4"
    # A model id with a sub-path, which fal's returned URLs drop.
    model = registry.video("fal:fal-ai/veo3/fast")
    handle = model.submit(clip_request(duration_s=3.0, aspect="1:1"))
    assert handle.external_id == f"{fake.url}/fal-ai/veo3/requests/req-1"  # not …/veo3/fast/…
    statuses = [model.poll(handle.external_id) for _ in range(3)]
    assert [s.state for s in statuses] == ["queued", "running", "succeeded"]
    model.fetch(handle.external_id, dest)
    assert dest.read_bytes() == sample_mp4
    submit = fake.calls("submit")[0]
    assert submit.path == "/fal-ai/veo3/fast"
    assert submit.headers["authorization"] == f"Key {fake.key}"
    assert submit.json()["duration"] == "4s"
    assert submit.json()["aspect_ratio"] == "16:9"
    assert submit.headers["idempotency-key"] == "clip:scene-1:1"
    assert "authorization" not in cdn.calls("file")[0].headers


def test_reference_goes_as_image_url(fake: FalFake, registry: ProviderRegistry, reference_png: Path) -> None:
    registry.video("fal:google/gemini-omni-flash/image-to-video").submit(
        clip_request(reference_images=(reference_png,))
    )
    assert fake.calls("submit")[0].json()["image_url"].startswith("data:image/png;base64,")


def test_content_checker_rejection_is_permanent(registry: ProviderRegistry, tmp_path: Path) -> None:
    statuses = run_clip(registry.video("fal"), clip_request(prompt="forbidden"), tmp_path / "x.mp4")
    assert statuses[-1].state == "failed"
    assert statuses[-1].permanent
    assert "flagged by a content checker" in (statuses[-1].reason or "")


def test_status_5xx_is_retried(registry: ProviderRegistry, fake: FalFake, sleeps: list[float]) -> None:
    handle = registry.video("fal").submit(clip_request())
    fake.inject("status", status_fault(503), status_fault(500))
    assert registry.video("fal").poll(handle.external_id).state == "queued"
    assert len(sleeps) == 2


def test_image(registry: ProviderRegistry, fake: FalFake, tmp_path: Path, sleeps: list[float]) -> None:
    dest = tmp_path / "image.png"
    registry.image("fal").generate_image(ImageRequest("a fox", AspectRatio.LANDSCAPE, seed=7), dest)
    with Image.open(dest) as img:
        assert img.format == "PNG"
    body = fake.calls("submit")[0].json()
    assert body["image_size"] == "landscape_16_9"
    assert body["num_images"] == 1
    assert body["seed"] == 7
    assert sleeps == [0.5, 0.5]  # two unfinished polls, waited with the injected sleep


def test_missing_key(make_registry: Callable[..., ProviderRegistry]) -> None:
    with pytest.raises(ProviderError, match=r"^fal: FAL_KEY is not set$"):
        make_registry().video("fal").submit(clip_request())
