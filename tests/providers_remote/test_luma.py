"""Luma adapters against the fake Luma: the Agents API (ray-3.2, the default) and Dream Machine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reelsmith.errors import ProviderError
from reelsmith.providers.base import Reconcilable
from reelsmith.providers.http import UncertainSubmit
from reelsmith.providers.luma import LumaVideoModel, marker
from reelsmith.providers.luma_agents import LumaAgentsVideoModel
from reelsmith.providers.registry import ProviderRegistry
from tests.fakes.drive import clip_request, run_clip
from tests.fakes.luma_fake import LumaFake
from tests.fakes.server import CdnServer, status_fault


@pytest.fixture
def luma(sample_mp4: bytes, cdn: CdnServer) -> Iterator[LumaFake]:
    with LumaFake(sample_mp4, cdn) as server:
        yield server


@pytest.fixture
def registry(luma: LumaFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(
        LUMAAI_API_KEY=luma.key, luma_base_url=luma.base_url, luma_agents_base_url=luma.agents_base_url
    )


def agents(registry: ProviderRegistry) -> LumaAgentsVideoModel:
    model = registry.video("luma")
    assert isinstance(model, LumaAgentsVideoModel)
    return model


def dream(registry: ProviderRegistry, model: str = "ray-2") -> LumaVideoModel:
    built = registry.video(f"luma:{model}")
    assert isinstance(built, LumaVideoModel)
    return built


# -- Agents API (ray-3.2) ---------------------------------------------------------------------------


def test_agents_submit_poll_fetch_with_an_inline_start_frame(
    registry: ProviderRegistry, luma: LumaFake, cdn: CdnServer, reference_png: Path, tmp_path: Path,
    sample_mp4: bytes,
) -> None:  # fmt: skip
    dest = tmp_path / "clip.mp4"
    request = clip_request(duration_s=7.5, aspect="9:16", reference_images=(reference_png,))
    statuses = run_clip(agents(registry), request, dest)
    assert [s.state for s in statuses] == ["queued", "running", "succeeded"]
    assert dest.read_bytes() == sample_mp4
    call = luma.calls("agents_create")[0]
    assert call.path == "/v1/generations"
    body = call.json()
    assert (body["model"], body["type"], body["aspect_ratio"]) == ("ray-3.2", "video", "9:16")
    video = body["video"]
    assert (video["duration"], video["resolution"]) == ("10s", "720p")
    assert video["start_frame"]["media_type"] == "image/png"
    assert len(video["start_frame"]["data"]) > 100
    assert "authorization" not in cdn.calls("file")[0].headers


def test_agents_moderation_is_permanent_with_code_and_reason(
    registry: ProviderRegistry, tmp_path: Path
) -> None:
    last = run_clip(agents(registry), clip_request(prompt="forbidden"), tmp_path / "x.mp4")[-1]
    assert last.state == "failed"
    assert last.permanent
    assert last.reason == "The prompt was flagged by content moderation. (content_moderated)"


def test_agents_lost_create_reply_is_uncertain_and_cannot_be_reconciled(
    registry: ProviderRegistry, luma: LumaFake
) -> None:
    luma.lose_create_replies = 1
    model = agents(registry)
    with pytest.raises(UncertainSubmit, match="uncertain"):
        model.submit(clip_request())
    assert len(luma.jobs) == 1
    assert len(luma.calls("agents_create")) == 1
    # The Agents API has no list, cancel or callback: nothing to reconcile with, nothing to cancel.
    assert not isinstance(model, Reconcilable)
    assert not hasattr(model, "cancel")


def test_agents_missing_key(make_registry: Callable[..., ProviderRegistry]) -> None:
    with pytest.raises(ProviderError, match=r"^luma: LUMAAI_API_KEY is not set$"):
        make_registry().video("luma").submit(clip_request())


# -- Dream Machine (ray-2, ray-flash-2) -------------------------------------------------------------


def test_dream_machine_creates_with_generations_video(
    registry: ProviderRegistry, luma: LumaFake, reference_png: Path, tmp_path: Path, sample_mp4: bytes
) -> None:
    dest = tmp_path / "clip.mp4"
    request = clip_request(duration_s=7.5, reference_images=(reference_png,))
    statuses = run_clip(dream(registry), request, dest)
    assert [s.state for s in statuses] == ["queued", "running", "succeeded"]
    assert dest.read_bytes() == sample_mp4
    call = luma.calls("create")[0]
    assert call.path == "/dream-machine/v1/generations/video"
    body = call.json()
    assert (body["model"], body["duration"], body["aspect_ratio"]) == ("ray-2", "9s", "16:9")
    assert "keyframes" not in body  # local references have no URL Luma could fetch
    assert "callback_url" not in body


def test_dream_machine_moderation_is_permanent(registry: ProviderRegistry, tmp_path: Path) -> None:
    last = run_clip(dream(registry), clip_request(prompt="forbidden"), tmp_path / "x.mp4")[-1]
    assert last.state == "failed"
    assert last.permanent
    assert "moderation failed" in (last.reason or "")


def test_dream_machine_throttling_is_retried_then_gives_up_transiently(
    registry: ProviderRegistry, luma: LumaFake, sleeps: list[float]
) -> None:
    luma.inject("create", *[status_fault(429, {"detail": "Too many requests"})] * 4)
    with pytest.raises(ProviderError) as info:
        dream(registry).submit(clip_request())
    assert not info.value.permanent
    assert len(sleeps) == 3
    assert luma.jobs == {}


def test_dream_machine_reconciles_a_lost_create_by_its_request(
    registry: ProviderRegistry, luma: LumaFake
) -> None:
    model = dream(registry)
    model.submit(clip_request(prompt="Another scene", idempotency_key="clip:other"))
    luma.lose_create_replies = 1
    request = clip_request(idempotency_key="clip:scene-1:1")
    with pytest.raises(UncertainSubmit):
        model.submit(request)
    assert isinstance(model, Reconcilable)
    found = model.reconcile(request)
    assert found is not None
    assert luma.jobs[found.external_id].body["prompt"].startswith("A lighthouse at dawn")
    assert len(luma.jobs) == 2  # nothing was sent again
    assert model.reconcile(clip_request(prompt="A scene never sent")) is None


def test_dream_machine_reconciles_by_the_callback_marker(registry: ProviderRegistry, luma: LumaFake) -> None:
    model = dream(registry)
    hook = "https://reelsmith.example/api/webhooks/luma/tok1"
    twin = clip_request(webhook_url=hook, idempotency_key="clip:scene-1:1")
    model.submit(
        clip_request(webhook_url=hook, idempotency_key="clip:scene-2:1")
    )  # same prompt, other create
    luma.lose_create_replies = 1
    with pytest.raises(UncertainSubmit):
        model.submit(twin)
    callback = luma.calls("create")[1].json()["callback_url"]
    assert callback == f"{hook}?ref={marker('clip:scene-1:1')}"
    found = model.reconcile(twin)
    assert found is not None
    assert luma.jobs[found.external_id].body["callback_url"] == callback
    assert model.reconcile(clip_request(webhook_url=hook, idempotency_key="clip:scene-3:1")) is None
