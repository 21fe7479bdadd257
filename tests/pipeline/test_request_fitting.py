"""Requests fitted to the model before anything is sent or charged; shut-down models refused at creation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from reelsmith.accounts.service import create_user
from reelsmith.db.models import Generation, User
from reelsmith.errors import InvalidInput, ProviderError
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation
from reelsmith.providers.catalogue import shipped
from reelsmith.providers.fitting import fit_clip
from reelsmith.runtime import Runtime
from reelsmith.vocabulary import AspectRatio, Mode
from tests.fakes.drive import clip_request


def _entry(provider: str, model: str):  # type: ignore[no-untyped-def]
    entry = shipped().get(provider, model)
    assert entry is not None
    return entry


@pytest.mark.parametrize(("asked", "made"), [(7.0, 8.0), (5.0, 6.0), (3.0, 4.0), (12.0, 8.0)])
def test_duration_goes_to_the_nearest_allowed(asked: float, made: float) -> None:
    fit = fit_clip(clip_request(duration_s=asked), _entry("replicate", "google/veo-3.1"))
    assert fit.request.duration_s == made
    assert fit.requested_s == asked
    assert f"{made:g} s instead of {asked:g} s" in fit.notes[0]


def test_an_allowed_duration_is_kept_without_a_note() -> None:
    fit = fit_clip(clip_request(duration_s=7.0), _entry("replicate", "kwaivgi/kling-v3-video"))
    assert fit.request.duration_s == 7.0
    assert fit.notes == ()


def test_references_a_model_cannot_take_are_dropped_with_the_reason(tmp_path: Path) -> None:
    refs = (tmp_path / "a.png", tmp_path / "b.png")
    # Veo 3.1 on Replicate takes reference images only at 16:9 and 8 s.
    fit = fit_clip(
        clip_request(duration_s=6.0, aspect="9:16", reference_images=refs),
        _entry("replicate", "google/veo-3.1"),
    )
    assert fit.request.reference_images == refs[:1]  # the first becomes the opening frame
    assert "only at 16:9" in fit.notes[-1]
    fit = fit_clip(clip_request(reference_images=refs), _entry("fal", "fal-ai/veo3.1"))
    assert fit.request.reference_images == ()
    assert (
        fit.notes[-1]
        == "The reference images were left out: fal:fal-ai/veo3.1 does not take reference images."
    )


def test_references_are_kept_where_the_model_takes_them(tmp_path: Path) -> None:
    refs = (tmp_path / "a.png", tmp_path / "b.png")
    fit = fit_clip(
        clip_request(duration_s=8.0, aspect="16:9", reference_images=refs),
        _entry("replicate", "google/veo-3.1"),
    )
    assert fit.request.reference_images == refs
    assert fit.notes == ()


def test_an_aspect_the_model_cannot_make_is_refused_permanently() -> None:
    with pytest.raises(ProviderError, match=r"cannot make 1:1 clips \(it makes 16:9, 9:16\)") as info:
        fit_clip(clip_request(aspect="1:1"), _entry("fal", "fal-ai/veo3.1"))
    assert info.value.permanent


def _paying_user(rt: Runtime) -> str:
    with rt.db.write() as session:
        return create_user(session, "payer", None, tokens=100).id


def _state(rt: Runtime, user_id: str) -> tuple[int, int]:
    """The user's balance and how many generations exist."""
    with rt.db.read() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.token_balance, session.scalar(select(func.count()).select_from(Generation)) or 0


@pytest.mark.parametrize(
    ("video", "replacement"),
    [
        ("openai", "replicate:kwaivgi/kling-v3-video"),
        ("gemini:veo-3.1-fast-generate-preview", "gemini:gemini-omni-1.1-flash"),
    ],
)
def test_a_shut_down_model_is_refused_before_charging(
    inline_runtime: Runtime, video: str, replacement: str
) -> None:
    user = _paying_user(inline_runtime)
    before = _state(inline_runtime, user)
    request = GenerationCreate(mode=Mode.VIDEO, prompt="A kite", providers=ProviderChoice(video=video))
    with pytest.raises(InvalidInput, match="shut down on 2026-") as info:
        create_generation(inline_runtime, user, request)
    assert info.value.field == "providers.video"
    assert f"use {replacement} instead" in str(info.value)
    assert _state(inline_runtime, user) == before


def test_an_aspect_no_model_of_the_chain_makes_is_refused_before_charging(inline_runtime: Runtime) -> None:
    user = _paying_user(inline_runtime)
    before = _state(inline_runtime, user)
    request = GenerationCreate(
        mode=Mode.VIDEO,
        prompt="A kite",
        aspect_ratio=AspectRatio.SQUARE,
        providers=ProviderChoice(video="fal,replicate:google/veo-3.1"),
    )
    with pytest.raises(InvalidInput, match="cannot make 1:1 clips") as info:
        create_generation(inline_runtime, user, request)
    assert info.value.field == "aspect_ratio"
    assert _state(inline_runtime, user) == before


def test_a_chain_with_one_model_for_the_aspect_is_accepted(inline_runtime: Runtime) -> None:
    user = _paying_user(inline_runtime)
    request = GenerationCreate(
        mode=Mode.VIDEO,
        prompt="A kite",
        aspect_ratio=AspectRatio.SQUARE,
        providers=ProviderChoice(video="fal,local"),
    )
    assert create_generation(inline_runtime, user, request)
