"""Runway's own rules: prompt length in UTF-16 units, model-specific frame sizes, uncertain creates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reelsmith.errors import ProviderError
from reelsmith.providers.base import Reconcilable
from reelsmith.providers.http import UncertainSubmit
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.providers.runway import utf16_prefix
from tests.fakes.drive import clip_request
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
