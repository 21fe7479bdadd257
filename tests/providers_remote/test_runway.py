"""Runway's own rules: text or image tasks, prompt length in UTF-16 units, model-specific frame sizes and
fields, uncertain creates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reelsmith.errors import ProviderError
from reelsmith.providers.base import Reconcilable
from reelsmith.providers.catalogue import shipped
from reelsmith.providers.fitting import fit_clip
from reelsmith.providers.http import UncertainSubmit
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.providers.runway import utf16_prefix
from tests.fakes.drive import clip_request, run_clip
from tests.fakes.runway_fake import RunwayFake
from tests.fakes.server import CdnServer, created_then_dropped


@pytest.fixture
def runway(sample_mp4: bytes, cdn: CdnServer) -> Iterator[RunwayFake]:
    with RunwayFake(sample_mp4, cdn) as server:
        yield server


@pytest.fixture
def registry(runway: RunwayFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(RUNWAYML_API_SECRET=runway.key, runway_base_url=runway.base_url)


def test_the_prompt_limit_counts_utf16_units(
    registry: ProviderRegistry, runway: RunwayFake, reference_png: Path
) -> None:
    request = clip_request(
        prompt="🌊" * 700, camera="", negative_prompt="", reference_images=(reference_png,)
    )
    registry.video("runway:gen4.5").submit(request)
    sent = runway.calls("create")[0].json()["promptText"]
    assert sent == "🌊" * 500  # 1000 units: each wave is a surrogate pair


def test_utf16_prefix_never_splits_a_pair() -> None:
    assert utf16_prefix("a🌊", 2) == "a"
    assert utf16_prefix("abc", 5) == "abc"


def test_veo31_gets_its_own_sizes_and_durations(
    registry: ProviderRegistry, runway: RunwayFake, reference_png: Path
) -> None:
    model = registry.video("runway:veo3.1")
    model.submit(clip_request(duration_s=7.0, aspect="9:16", reference_images=(reference_png,)))
    body = runway.calls("create")[0].json()
    assert (body["ratio"], body["duration"]) == ("720:1280", 8)
    with pytest.raises(ProviderError, match="cannot make 1:1") as info:
        model.submit(clip_request(aspect="1:1", reference_images=(reference_png,)))
    assert info.value.permanent


def test_a_lost_create_is_uncertain_and_cannot_be_looked_up(
    registry: ProviderRegistry, runway: RunwayFake, reference_png: Path
) -> None:
    runway.inject("create", created_then_dropped())
    model = registry.video("runway:gen4.5")
    with pytest.raises(UncertainSubmit, match="uncertain"):
        model.submit(clip_request(reference_images=(reference_png,)))
    assert len(runway.jobs) == 1
    assert len(runway.calls("create")) == 1
    assert not isinstance(model, Reconcilable)  # the API lists no tasks: the pipeline fails it uncertain


def test_a_scene_without_references_is_made_from_text(
    registry: ProviderRegistry, runway: RunwayFake, tmp_path: Path, sample_mp4: bytes
) -> None:
    dest = tmp_path / "clip.mp4"
    statuses = run_clip(registry.video("runway:gen4.5"), clip_request(aspect="9:16", duration_s=6.4), dest)
    assert statuses[-1].state == "succeeded"
    assert dest.read_bytes() == sample_mp4
    assert runway.calls("create") == []
    (sent,) = runway.calls("create_text")
    body = sent.json()
    assert "promptImage" not in body
    assert (body["model"], body["ratio"], body["duration"]) == ("gen4.5", "720:1280", 6)


def test_gen45_makes_square_clips_only_from_a_first_frame(
    registry: ProviderRegistry, runway: RunwayFake, reference_png: Path
) -> None:
    model = registry.video("runway:gen4.5")
    with pytest.raises(ProviderError, match="cannot make 1:1 clips from text alone") as info:
        model.submit(clip_request(aspect="1:1"))
    assert info.value.permanent
    assert runway.requests == []
    model.submit(clip_request(aspect="1:1", reference_images=(reference_png,)))
    assert runway.calls("create")[0].json()["ratio"] == "960:960"


@pytest.mark.parametrize("model", ["gemini_omni_flash", "gemini_omni_flash_1.1"])
def test_gemini_omni_models_are_sent_no_seed(
    registry: ProviderRegistry, runway: RunwayFake, model: str
) -> None:
    registry.video(f"runway:{model}").submit(clip_request(duration_s=12.0))
    body = runway.calls("create_text")[0].json()
    assert "seed" not in body
    assert (body["ratio"], body["duration"]) == ("1280:720", 10)


def test_fitting_refuses_a_text_only_scene_the_model_cannot_make_before_paying(reference_png: Path) -> None:
    gen45, turbo = (shipped().entry("runway", m, "video") for m in ("gen4.5", "gen4_turbo"))
    with pytest.raises(ProviderError, match="from text alone"):
        fit_clip(clip_request(aspect="1:1"), gen45)
    with pytest.raises(ProviderError, match="needs a reference image"):
        fit_clip(clip_request(), turbo)
    fitted = fit_clip(clip_request(aspect="1:1", reference_images=(reference_png,)), gen45)
    assert fitted.request.reference_images == (reference_png,)
