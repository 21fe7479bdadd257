"""Replicate adapters (any owner/name; video and image) against the fake Replicate API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from reelsmith.errors import ProviderError
from reelsmith.providers.base import ImageRequest, Reconcilable
from reelsmith.providers.http import UncertainSubmit
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.vocabulary import AspectRatio
from tests.fakes.drive import clip_request, run_clip
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer, Reply, created_then_dropped, created_then_slow, status_fault


@pytest.fixture
def fake(sample_mp4: bytes, cdn: CdnServer) -> Iterator[ReplicateFake]:
    with ReplicateFake(sample_mp4, cdn) as server:
        yield server


@pytest.fixture
def registry(fake: ReplicateFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(REPLICATE_API_TOKEN=fake.key, replicate_base_url=fake.base_url)


def test_video_submit_poll_fetch(
    registry: ProviderRegistry, fake: ReplicateFake, cdn: CdnServer, tmp_path: Path, sample_mp4: bytes
) -> None:
    dest = tmp_path / "clip.mp4"
    statuses = run_clip(registry.video("replicate"), clip_request(duration_s=7.4, aspect="9:16"), dest)
    assert [s.state for s in statuses] == ["running", "running", "succeeded"]
    assert dest.read_bytes() == sample_mp4
    create = fake.calls("create")[0]
    assert create.path == "/v1/models/kwaivgi/kling-v3-video/predictions"
    assert "prefer" not in create.headers
    assert create.headers["idempotency-key"] == "clip:scene-1:1"
    # Kling v3 takes 3-15 s and has no negative prompt field: the negative part joins the prompt.
    assert create.json()["input"] == {
        "prompt": "A lighthouse at dawn, waves crashing Camera: slow push-in. Avoid: blurry, watermark.",
        "aspect_ratio": "9:16", "duration": 7, "seed": 1234,
    }  # fmt: skip
    assert "authorization" not in cdn.calls("file")[0].headers


def test_any_model_and_references(
    fake: ReplicateFake, make_registry: Callable[..., ProviderRegistry], reference_png: Path
) -> None:
    registry = make_registry(
        REPLICATE_API_TOKEN=fake.key, replicate_base_url=fake.base_url, replicate_video_model="kwai/kling-v2"
    )
    model = registry.video("replicate")
    model.submit(clip_request(duration_s=5.4, aspect="1:1", reference_images=(reference_png,)))
    model.submit(clip_request(idempotency_key="k2", reference_images=(reference_png,) * 4))
    first, second = (c.json()["input"] for c in fake.calls("create"))
    assert fake.calls("create")[0].path == "/v1/models/kwai/kling-v2/predictions"
    assert first["duration"] == 5
    assert first["aspect_ratio"] == "1:1"
    assert first["image"].startswith("data:image/png;base64,")
    assert "reference_images" not in first
    assert len(second["reference_images"]) == 3
    assert "image" not in second


def test_sensitive_failure_is_permanent_with_reason(registry: ProviderRegistry, tmp_path: Path) -> None:
    statuses = run_clip(registry.video("replicate"), clip_request(prompt="forbidden"), tmp_path / "x.mp4")
    assert statuses[-1].state == "failed"
    assert statuses[-1].permanent
    assert "flagged as sensitive" in (statuses[-1].reason or "")


def test_throttling_is_retried_with_retry_after(
    registry: ProviderRegistry, fake: ReplicateFake, sleeps: list[float]
) -> None:
    throttled = {"detail": "Request was throttled. Expected available in 1 second."}
    fake.inject("create", status_fault(429, throttled, Retry_After="1"))
    registry.video("replicate").submit(clip_request())
    assert sleeps == [1.0]
    assert len(fake.jobs) == 1


def test_poll_errors_are_transient(registry: ProviderRegistry, fake: ReplicateFake) -> None:
    handle = registry.video("replicate").submit(clip_request())
    fake.inject("get", *[status_fault(502)] * 4)
    with pytest.raises(ProviderError) as info:
        registry.video("replicate").poll(handle.external_id)
    assert not info.value.permanent


def test_image_waits_and_converts_to_png(
    registry: ProviderRegistry, fake: ReplicateFake, tmp_path: Path
) -> None:
    dest = tmp_path / "image.png"
    registry.image("replicate").generate_image(
        ImageRequest("a fox", AspectRatio.VERTICAL, idempotency_key="image:g"), dest
    )
    with Image.open(dest) as img:
        assert img.format == "PNG"
    create = fake.calls("create")[0]
    # A 2 s timeout leaves no room for a server-side wait that ends safely before it.
    assert "prefer" not in create.headers
    assert create.path == "/v1/models/black-forest-labs/flux-1.1-pro/predictions"
    assert create.json()["input"] == {"prompt": "a fox", "aspect_ratio": "9:16", "output_format": "png"}


def test_image_refusal_is_permanent(registry: ProviderRegistry, tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="flagged as sensitive") as info:
        registry.image("replicate").generate_image(ImageRequest("forbidden"), tmp_path / "x.png")
    assert info.value.permanent


def test_bad_model_name_is_permanent(
    fake: ReplicateFake, make_registry: Callable[..., ProviderRegistry]
) -> None:
    registry = make_registry(
        REPLICATE_API_TOKEN=fake.key, replicate_base_url=fake.base_url, replicate_video_model="no-owner"
    )
    with pytest.raises(ProviderError, match="owner/name") as info:
        registry.video("replicate").submit(clip_request())
    assert info.value.permanent


def test_missing_token(make_registry: Callable[..., ProviderRegistry]) -> None:
    with pytest.raises(ProviderError, match=r"^replicate: REPLICATE_API_TOKEN is not set$"):
        make_registry().image("replicate").generate_image(ImageRequest("x"), Path("unused.png"))


def test_prefer_wait_ends_inside_the_timeout_so_the_create_is_sent_once(
    fake: ReplicateFake, make_registry: Callable[..., ProviderRegistry], tmp_path: Path
) -> None:
    # Replicate holds a `Prefer: wait` reply for the whole wait; a bare "wait" (60 s) against a 60 s
    # timeout times out at the moment the answer comes and the create would be sent again.
    fake.hold_waits = True
    registry = make_registry(
        REPLICATE_API_TOKEN=fake.key, replicate_base_url=fake.base_url, provider_timeout_s=3.0
    )
    registry.image("replicate").generate_image(
        ImageRequest("a fox", idempotency_key="image:w"), tmp_path / "i.png"
    )
    (create,) = fake.calls("create")
    assert create.headers["prefer"] == "wait=1"
    assert len(fake.jobs) == 1


@pytest.mark.parametrize("fault", [created_then_dropped(), created_then_slow(3.0), status_fault(502)])
def test_an_uncertain_create_is_not_resent_and_the_list_finds_its_prediction(
    registry: ProviderRegistry, fake: ReplicateFake, fault: Reply
) -> None:
    model = registry.video("replicate")
    assert isinstance(model, Reconcilable)
    fake.inject("create", fault)
    request = clip_request()
    with pytest.raises(UncertainSubmit, match="submission uncertain"):
        model.submit(request)
    assert len(fake.calls("create")) == 1
    made = list(fake.jobs)
    handle = model.reconcile(request)
    if fault.status == 502:  # served instead of the create: nothing was made
        assert made == []
        assert handle is None
    else:
        assert handle is not None
        assert made == [handle.external_id]


def test_the_lookup_matches_the_input_not_just_the_model(
    registry: ProviderRegistry, fake: ReplicateFake
) -> None:
    fake.page_size = 1  # the lookup follows `next` through the pages
    model = registry.video("replicate")
    assert isinstance(model, Reconcilable)
    ours = model.submit(clip_request(seed=7))
    model.submit(clip_request(seed=8, idempotency_key="other"))
    found = model.reconcile(clip_request(seed=7))
    assert found is not None
    assert found.external_id == ours.external_id
    assert model.reconcile(clip_request(seed=9)) is None
