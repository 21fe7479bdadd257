"""The reaper: work whose worker vanished is handed out again; what outlived its deadline fails with a refund.

The runtime's dispatcher only records here, so each test sees exactly what one pass handed out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.config import Settings
from reelsmith.db.models import Generation, LedgerEntry, Scene, Step, User, Variant, utcnow
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation
from reelsmith.jobs.reaper import DEADLINE_REASON, ReapReport, hand_back, reap
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import (
    CLIP_PRICE,
    GenerationStatus,
    LedgerReason,
    SceneStatus,
    StepStatus,
    VariantStatus,
)
from tests.support.dispatch import Recorder

LONG_AGO = timedelta(hours=1)  # far beyond the test settings' 120 s staleness


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def rt(settings: Settings, recorder: Recorder) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    runtime.dispatch = recorder
    yield runtime
    runtime.close()


def _user(rt: Runtime, tokens: int = 0) -> str:
    with rt.db.write() as session:
        user = User(username="ada", token_balance=tokens)
        session.add(user)
        session.flush()
        return user.id


def _generation(session: Session, user_id: str, status: GenerationStatus, *, idle: timedelta) -> Generation:
    """A story generation last touched `idle` ago."""
    at = utcnow() - idle
    gen = Generation(user_id=user_id, mode="story", prompt="p", status=status, created_at=at, updated_at=at)
    session.add(gen)
    session.flush()
    return gen


def _variant(session: Session, gen: Generation, status: VariantStatus, *, idle: timedelta) -> Variant:
    variant = Variant(generation_id=gen.id, status=status, total_scenes=4, updated_at=utcnow() - idle)
    session.add(variant)
    session.flush()
    return variant


def _scene(session: Session, variant: Variant, index: int, status: SceneStatus, *, idle: timedelta) -> str:
    scene = Scene(
        variant_id=variant.id,
        index=index,
        description=f"scene {index}",
        duration_s=3.0,
        status=status,
        updated_at=utcnow() - idle,
    )
    session.add(scene)
    session.flush()
    return scene.id


# -- deadlines -------------------------------------------------------------------------------------


def _expire_story(rt: Runtime, user_id: str) -> str:
    """A billed three-scene story, one clip delivered and two in flight, created before the deadline."""
    gid = create_generation(rt, user_id, GenerationCreate(prompt="A slow story", scenes=3))
    with rt.db.write() as session:
        gen = session.get(Generation, gid)
        assert gen is not None
        gen.status = GenerationStatus.PROCESSING
        gen.created_at = utcnow() - timedelta(seconds=rt.settings.generation_deadline_s + 60)
        variant = _variant(session, gen, VariantStatus.RENDERING, idle=timedelta(0))
        _scene(session, variant, 0, SceneStatus.COMPLETED, idle=timedelta(0))
        _scene(session, variant, 1, SceneStatus.RUNNING, idle=timedelta(0))
        _scene(session, variant, 2, SceneStatus.PENDING, idle=timedelta(0))
    return gid


def test_a_generation_past_its_deadline_fails_with_a_reason_and_a_refund(rt: Runtime) -> None:
    user = _user(rt, tokens=100)
    gid = _expire_story(rt, user)

    assert reap(rt).expired == 1

    with rt.db.read() as session:
        gen = session.get(Generation, gid)
        assert gen is not None
        assert gen.status == GenerationStatus.FAILED
        assert gen.error_message == DEADLINE_REASON
        statuses = sorted(
            session.scalars(select(Scene.status).join(Variant).where(Variant.generation_id == gid))
        )
        assert statuses == [SceneStatus.CANCELED, SceneStatus.CANCELED, SceneStatus.COMPLETED]
        user_row = session.get(User, user)
        assert user_row is not None
        assert user_row.token_balance == 100 - 3 * CLIP_PRICE + 2 * CLIP_PRICE


def test_the_deadline_refund_lands_once_however_often_the_reaper_runs(rt: Runtime) -> None:
    user = _user(rt, tokens=100)
    gid = _expire_story(rt, user)

    first, second = reap(rt), reap(rt)

    assert first.expired == 1
    assert second.expired == 0
    with rt.db.read() as session:
        refunds = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.generation_id == gid, LedgerEntry.reason == LedgerReason.REFUND)
        )
        balance = session.scalar(select(User.token_balance).where(User.id == user))
    assert refunds == 1
    assert balance == 100 - CLIP_PRICE


def test_a_generation_within_its_deadline_is_left_running(rt: Runtime) -> None:
    user = _user(rt)
    with rt.db.write() as session:
        gid = _generation(session, user, GenerationStatus.PROCESSING, idle=timedelta(0)).id

    assert reap(rt).expired == 0
    with rt.db.read() as session:
        assert (
            session.scalar(select(Generation.status).where(Generation.id == gid))
            == GenerationStatus.PROCESSING
        )


# -- stale work ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """The ids of the work `_abandoned_work` left behind, by what the reaper should do with it."""

    advance: set[str]
    submit: set[str]
    poll: set[str]
    silent_step: str  # the generation whose step heartbeat went quiet


def _abandoned_work(rt: Runtime) -> Layout:
    """Work in every state a dead worker can leave, next to the same states still fresh."""
    user = _user(rt)
    with rt.db.write() as session:
        queued = _generation(session, user, GenerationStatus.QUEUED, idle=LONG_AGO)
        _generation(session, user, GenerationStatus.QUEUED, idle=timedelta(0))
        writing = _generation(session, user, GenerationStatus.PROCESSING, idle=LONG_AGO)
        session.add(
            Step(
                generation_id=writing.id,
                name="story",
                status=StepStatus.RUNNING,
                heartbeat_at=utcnow() - LONG_AGO,
            )
        )
        stitching = _generation(session, user, GenerationStatus.PROCESSING, idle=LONG_AGO)
        _variant(session, stitching, VariantStatus.STITCHING, idle=LONG_AGO)
        rendering = _generation(session, user, GenerationStatus.PROCESSING, idle=LONG_AGO)
        # The clips step's own heartbeat does not matter: its scenes carry the work.
        session.add(
            Step(
                generation_id=rendering.id,
                name="clips",
                status=StepStatus.RUNNING,
                heartbeat_at=utcnow() - LONG_AGO,
            )
        )
        variant = _variant(session, rendering, VariantStatus.RENDERING, idle=LONG_AGO)
        submit = {
            _scene(session, variant, 0, SceneStatus.PENDING, idle=LONG_AGO),
            _scene(session, variant, 1, SceneStatus.SUBMITTING, idle=LONG_AGO),
        }
        poll = {
            _scene(session, variant, 2, SceneStatus.SUBMITTED, idle=LONG_AGO),
            _scene(session, variant, 3, SceneStatus.RUNNING, idle=LONG_AGO),
        }
        _scene(session, variant, 4, SceneStatus.RUNNING, idle=timedelta(0))
        _scene(session, variant, 5, SceneStatus.COMPLETED, idle=LONG_AGO)
        # One step done and the next never claimed (the task that was to claim it died), next to one
        # that has just finished its step.
        between = _generation(session, user, GenerationStatus.PROCESSING, idle=LONG_AGO)
        just_done = _generation(session, user, GenerationStatus.PROCESSING, idle=timedelta(0))
        for gen in (between, just_done):
            session.add(Step(generation_id=gen.id, name="story", status=StepStatus.DONE))
            session.add(Step(generation_id=gen.id, name="scenes", status=StepStatus.PENDING))
        failed = _generation(session, user, GenerationStatus.FAILED, idle=LONG_AGO)
        _scene(
            session,
            _variant(session, failed, VariantStatus.FAILED, idle=LONG_AGO),
            0,
            SceneStatus.PENDING,
            idle=LONG_AGO,
        )
        return Layout({queued.id, writing.id, stitching.id, between.id}, submit, poll, writing.id)


def test_abandoned_work_is_handed_out_again_by_kind(rt: Runtime, recorder: Recorder) -> None:
    layout = _abandoned_work(rt)

    report = reap(rt)

    assert set(recorder.advanced) == layout.advance
    assert set(recorder.submitted) == layout.submit
    assert set(recorder.polled) == layout.poll
    assert report == ReapReport(advanced=4, submitted=2, polled=2, expired=0)


def test_work_handed_out_is_left_alone_by_the_next_pass(rt: Runtime, recorder: Recorder) -> None:
    layout = _abandoned_work(rt)
    reap(rt)
    recorder.clear()

    assert reap(rt) == ReapReport(advanced=1)
    # Except a silent step: its stale heartbeat is what lets the advance reclaim it, so it stays
    # stale (and is handed out each pass) until a runner does; the claim lets only one run it.
    assert recorder.advanced == [layout.silent_step]
    assert recorder.submitted == []
    assert recorder.polled == []


def test_a_lost_queue_hands_out_fresh_work_too(rt: Runtime, recorder: Recorder) -> None:
    user = _user(rt)
    with rt.db.write() as session:
        queued = _generation(session, user, GenerationStatus.QUEUED, idle=timedelta(0))
        rendering = _generation(session, user, GenerationStatus.PROCESSING, idle=timedelta(0))
        session.add(Step(generation_id=rendering.id, name="clips", status=StepStatus.RUNNING))
        variant = _variant(session, rendering, VariantStatus.RENDERING, idle=timedelta(0))
        polled = _scene(session, variant, 0, SceneStatus.RUNNING, idle=timedelta(0))

    assert reap(rt) == ReapReport()  # fresh: its tasks are in the queue
    report = reap(rt, lost_queue=True)  # the queue is gone: nothing will run them

    assert recorder.advanced == [queued.id]
    assert recorder.polled == [polled]
    assert report == ReapReport(advanced=1, polled=1)


def test_a_narrated_scene_whose_speech_task_was_lost_is_spoken_again(rt: Runtime, recorder: Recorder) -> None:
    user = _user(rt)
    with rt.db.write() as session:
        gen = _generation(session, user, GenerationStatus.PROCESSING, idle=LONG_AGO)
        variant = _variant(session, gen, VariantStatus.RENDERING, idle=LONG_AGO)
        unspoken = _scene(session, variant, 0, SceneStatus.COMPLETED, idle=LONG_AGO)
        silent = _scene(session, variant, 1, SceneStatus.COMPLETED, idle=LONG_AGO)
        for scene_id in (unspoken, silent):
            scene = session.get(Scene, scene_id)
            assert scene is not None
            scene.narration = "A line to say." if scene_id == unspoken else ""

    assert reap(rt).spoken == 1
    assert recorder.spoken == [unspoken]


def test_a_handed_back_step_is_claimable_at_once_and_its_attempt_not_counted(rt: Runtime) -> None:
    user = _user(rt)
    with rt.db.write() as session:
        gen = _generation(session, user, GenerationStatus.PROCESSING, idle=timedelta(0))
        session.add(
            Step(
                generation_id=gen.id,
                name="stitch",
                status=StepStatus.RUNNING,
                attempts=1,
                heartbeat_at=utcnow(),
            )
        )
        session.add(
            Step(generation_id=gen.id, name="clips", status=StepStatus.RUNNING, heartbeat_at=utcnow())
        )
        gid = gen.id

    assert hand_back(rt, gid) == 1  # the clips step lives on in its scenes' tasks

    stale_before = utcnow() - timedelta(seconds=rt.settings.stale_after_s)
    with rt.db.read() as session:
        step = session.get(Step, (gid, "stitch"))
        assert step is not None
        assert step.status == StepStatus.RUNNING
        assert step.attempts == 0
        assert step.heartbeat_at is not None
        assert step.heartbeat_at < stale_before
