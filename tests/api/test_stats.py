"""A user's figures, counted by the database and only over that user's rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reelsmith.accounts import ledger
from reelsmith.accounts.service import create_user
from reelsmith.config import Settings
from reelsmith.db.models import Generation, ProviderCall, Scene, Variant
from reelsmith.generations.stats import StatsRead, user_stats
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import CallStatus, GenerationStatus, Mode, SceneStatus


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    yield rt
    rt.close()


def _generation(
    rt: Runtime, user_id: str, mode: Mode, status: GenerationStatus, scenes: list[tuple[SceneStatus, float]]
) -> str:
    with rt.db.write() as session:
        gen = Generation(user_id=user_id, mode=mode, prompt="figures", status=status)
        session.add(gen)
        session.flush()
        variant = Variant(generation_id=gen.id)
        session.add(variant)
        session.flush()
        for index, (status_, seconds) in enumerate(scenes):
            session.add(
                Scene(
                    variant_id=variant.id,
                    index=index,
                    description="a scene",
                    duration_s=seconds,
                    status=status_,
                )
            )
        session.add(
            ProviderCall(
                generation_id=gen.id,
                provider="replicate",
                model="m",
                operation="video",
                idempotency_key=f"stats:{gen.id}",
                status=CallStatus.SUCCEEDED,
                cost_usd=0.125 * len(scenes),
            )
        )
        return gen.id


def test_figures_count_only_the_users_own_work(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        me = create_user(session, "counted", "long password", tokens=100).id
        other = create_user(session, "elsewhere", "long password", tokens=100).id
    story = _generation(
        runtime, me, Mode.STORY, GenerationStatus.COMPLETED,
        [(SceneStatus.COMPLETED, 4.0), (SceneStatus.COMPLETED, 3.5), (SceneStatus.FAILED, 5.0)],
    )  # fmt: skip
    _generation(runtime, me, Mode.VIDEO, GenerationStatus.FAILED, [(SceneStatus.FAILED, 5.0)])
    _generation(runtime, other, Mode.VIDEO, GenerationStatus.COMPLETED, [(SceneStatus.COMPLETED, 5.0)])
    with runtime.db.write() as session:
        ledger.charge(session, me, 30, f"charge:{story}", generation_id=story)
        ledger.refund(session, me, 10, f"refund:{story}", generation_id=story)
        ledger.charge(session, other, 10, "charge:other")
    with runtime.db.read() as session:
        figures = user_stats(session, me)
    assert figures == StatsRead(
        generations=2,
        by_status={"completed": 1, "failed": 1},
        by_mode={"story": 1, "video": 1},
        clips=2,
        seconds_rendered=7.5,
        tokens_spent=20,
        cost_usd=0.5,
    )


def test_a_new_user_has_zero_everywhere(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        me = create_user(session, "fresh", "long password", tokens=50).id
    with runtime.db.read() as session:
        figures = user_stats(session, me)
    assert figures == StatsRead(
        generations=0, by_status={}, by_mode={}, clips=0, seconds_rendered=0.0, tokens_spent=0, cost_usd=0.0
    )
