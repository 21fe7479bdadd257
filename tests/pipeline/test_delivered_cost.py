"""A clip's cost follows the seconds of video its job delivered where the model is priced per second:
the submit-time estimate is for the length asked for, and a model that makes a longer or shorter clip
is billed for what it made."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reelsmith.accounts import ledger
from reelsmith.config import Settings
from reelsmith.db.models import Generation, ProviderCall
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.jobs.worker import embedded_worker
from reelsmith.media.probe import probe
from reelsmith.providers.catalogue import Catalogue
from reelsmith.providers.catalogue import load as load_catalogue
from reelsmith.providers.pricing import DELIVERY_SLACK_S, clip_cost, delivered_clip_cost
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import Mode
from tests.fakes.media import make_mp4
from tests.fakes.openai_fake import OpenAIFake
from tests.pipeline.helpers import PROVIDER_ENV, wait_for_end

VEO = "google/veo-3.1"  # priced per second in the shipped catalogue
ASKED_S = 4.0
# A server that still speaks OpenAI's Videos API (its fake names the next poll in 100 ms, so a run takes
# a second), listed with a per-second price in the user's catalogue.
SORA_CATALOGUE = """
[[model]]
provider = "openai"
id = "sora-2"
kind = "video"
protocol = "videos"
[model.price]
per_second = 0.1
source = "test"
"""


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[float, Path]:
    """Real clips of the length asked for and of a longer one."""
    folder = tmp_path_factory.mktemp("delivered")
    return {s: make_mp4(folder / f"{s:g}s.mp4", seconds=s) for s in (ASKED_S, 6.0)}


@pytest.fixture
def catalogue_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalogue.toml"
    path.write_text(SORA_CATALOGUE)
    return path


@contextmanager
def openai_runtime(settings: Settings, fake: OpenAIFake, catalogue_file: Path) -> Iterator[Runtime]:
    """A runtime on the test database whose OpenAI is `fake`, with its queue consumer running."""
    values: dict[str, Any] = {
        **{name: "" for name in PROVIDER_ENV if name != "OPENAI_BASE_URL"},
        "data_dir": settings.data_dir,
        "database_url": settings.database_url,
        "reaper_interval_s": settings.reaper_interval_s,
        "OPENAI_API_KEY": fake.key,
        "openai_base_url": fake.base_url,
        "catalogue_path": catalogue_file,
    }
    runtime = build_runtime(Settings(_env_file=None, **values))  # type: ignore[call-arg]
    try:
        with embedded_worker(runtime):
            yield runtime
    finally:
        runtime.close()


def _submit_cost(settings: Settings, clip: bytes, catalogue_file: Path) -> tuple[ProviderCall, float]:
    """One 4 s video on Sora 2 whose fake delivers `clip`: its submit call and the generation's cost."""
    with OpenAIFake(clip, polls_needed=1) as fake, openai_runtime(settings, fake, catalogue_file) as rt:
        fake.poll_after_ms = "100"
        user = ensure_local_user(rt)
        with rt.db.write() as session:
            ledger.grant(session, user, 100, "grant:delivered-cost")
        request = GenerationCreate(
            mode=Mode.VIDEO,
            prompt="A paper boat on a puddle",
            duration_s=ASKED_S,
            providers=ProviderChoice(video="openai:sora-2"),
        )
        gid = create_generation(rt, user, request)
        data = wait_for_end(rt, gid, timeout_s=60)
        assert data["status"] == "completed", data["error_message"]
        assert fake.calls("create_video")[0].json()["seconds"] == f"{ASKED_S:g}"
        with rt.db.read() as session:
            (call,) = session.scalars(
                select(ProviderCall).where(
                    ProviderCall.generation_id == gid, ProviderCall.operation == "submit"
                )
            )
            gen = session.get(Generation, gid)
            assert gen is not None
            session.expunge(call)
            return call, gen.cost_usd


def _sora(catalogue_file: Path) -> Catalogue:
    return load_catalogue(catalogue_file.parent, catalogue_file)


def test_a_longer_clip_than_asked_is_billed_for_its_seconds(
    settings: Settings, clips: dict[float, Path], catalogue_file: Path
) -> None:
    call, generation_cost = _submit_cost(settings, clips[6.0].read_bytes(), catalogue_file)
    delivered = probe(clips[6.0]).duration_s
    assert delivered is not None
    assert delivered - ASKED_S > DELIVERY_SLACK_S
    catalogue = _sora(catalogue_file)
    assert call.cost_usd == pytest.approx(clip_cost("openai", "sora-2", delivered, catalogue=catalogue))
    assert call.cost_usd > clip_cost("openai", "sora-2", ASKED_S, catalogue=catalogue) > 0
    assert generation_cost == pytest.approx(call.cost_usd)


def test_a_clip_of_the_length_asked_keeps_the_estimate(
    settings: Settings, clips: dict[float, Path], catalogue_file: Path
) -> None:
    call, _ = _submit_cost(settings, clips[ASKED_S].read_bytes(), catalogue_file)
    catalogue = _sora(catalogue_file)
    assert call.cost_usd == pytest.approx(clip_cost("openai", "sora-2", ASKED_S, catalogue=catalogue))


@pytest.mark.parametrize(
    ("provider", "model", "delivered", "expected"),
    [
        ("replicate", VEO, 6.0, 2.4),  # $0.40/s for the 6 s made
        ("replicate", VEO, 2.0, 0.8),  # and for a shorter clip too
        ("replicate", VEO, ASKED_S + DELIVERY_SLACK_S, None),  # frame rounding is the same clip
        ("replicate", "kwaivgi/kling-v3-video", 6.0, None),  # unpriced: nothing to bill by
        ("local", "local-render-v1", 6.0, None),  # free at any length
    ],
)
def test_delivered_cost_only_where_a_per_second_price_meets_another_length(
    provider: str, model: str, delivered: float, expected: float | None
) -> None:
    cost = delivered_clip_cost(provider, model, ASKED_S, delivered)
    assert cost == (pytest.approx(expected) if expected is not None else None)


def test_a_per_clip_price_is_kept_beside_the_seconds() -> None:
    prices = '{"fal:fal-ai/veo3.1": {"per_clip": 0.05, "per_second": 0.2}}'
    cost = delivered_clip_cost("fal", "fal-ai/veo3.1", 8.0, 6.0, prices=prices)
    assert cost == pytest.approx(0.05 + 0.2 * 6.0)
