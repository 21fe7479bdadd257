"""Several tasks finding one scene's submission at once: the provider is still asked only once.

A send keeps its record fresh while the provider holds the create, so a task handed the scene by the
reaper meanwhile waits instead of looking the job up (too early: the provider has not made it yet)
and sending again. Of several lookups that ended at the same time, only the one that knows the latest
state may send the submission again. A submission's last send is settled in the transaction that
fails its attempt, so no task ever finds it settled with the scene still submitting and sends it a
fourth time (while the failed attempt's retry makes a second job). A poll of an earlier attempt's
job that answers late does not fail the attempt that replaced it, and a send that stalled before it
went out (its record went stale and another task took it over) does not go out; nor does one decided
by a task that read the scene just before another stored its job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from reelsmith.config import Settings
from reelsmith.db.models import Generation, ProviderCall, Scene, User, Variant, utcnow
from reelsmith.pipeline.clips.poll import poll_scene
from reelsmith.pipeline.clips.submissions import MAX_SENDS, GiveUp, Lookup, Send, Wait, next_step
from reelsmith.pipeline.clips.submit import _send, submit_scene
from reelsmith.pipeline.clips.uncertain import _send_again
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import CallStatus, GenerationStatus, SceneStatus, VariantStatus
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer, slow_fault, status_fault
from tests.pipeline.helpers import PROVIDER_ENV, runtime_on
from tests.pipeline.test_uncertain_submits import _run
from tests.support import wait_until
from tests.support.dispatch import Recorder


def test_a_create_the_provider_holds_is_waited_for_not_sent_again(
    settings: Settings, sample_mp4: bytes, cdn: CdnServer
) -> None:
    # The provider sits on the create for 4 s before making the job, twice `stale_after_s`: the reaper
    # hands the scene out again meanwhile, and the task that gets it must see the send alive.
    with ReplicateFake(sample_mp4, cdn, polls_needed=1) as fake:
        fake.inject("create", slow_fault(4.0))
        with runtime_on(
            settings,
            REPLICATE_API_TOKEN=fake.key,
            replicate_base_url=fake.base_url,
            provider_timeout_s=10.0,
            stale_after_s=2.0,
            reaper_interval_s=0.2,
            workers=3,
        ) as rt:
            data, _, calls = _run(rt, "replicate")
        assert data["status"] == "completed", data["error_message"]
        assert len(fake.calls("create")) == 1
        assert len(fake.jobs) == 1
        (call,) = calls
        assert call.sends == 1


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    runtime.dispatch = Recorder()
    yield runtime
    runtime.close()


def _uncertain_scene(
    rt: Runtime,
    *,
    sent_ago: timedelta | None,
    uncertain: bool,
    owner: str = "ada",
    sends: int = 1,
    lookups: int = 0,
) -> str:
    """A submitting scene whose `sends`-th send went out `sent_ago` (its outcome unknown when
    `uncertain`, looked up `lookups` times); with `sent_ago` None that send is settled: it made no job."""
    with rt.db.write() as session:
        user = User(username=owner)
        session.add(user)
        session.flush()
        gen = Generation(user_id=user.id, mode="story", prompt="p", status=GenerationStatus.PROCESSING)
        session.add(gen)
        session.flush()
        variant = Variant(generation_id=gen.id, status=VariantStatus.RENDERING, total_scenes=1)
        session.add(variant)
        session.flush()
        scene = Scene(
            variant_id=variant.id,
            index=0,
            description="a boat",
            duration_s=4.0,
            status=SceneStatus.SUBMITTING,
            provider="replicate",
            attempts=1,
        )
        session.add(scene)
        session.flush()
        sent = None if sent_ago is None else utcnow() - sent_ago
        session.add(
            ProviderCall(
                generation_id=gen.id,
                scene_id=scene.id,
                provider="replicate",
                model="kwaivgi/kling-v3-video",
                operation="submit",
                idempotency_key=f"clip:{scene.id}:1",
                sends=sends,
                lookups=lookups,
                sent_at=sent,
                uncertain_at=sent if uncertain else None,
            )
        )
        return scene.id


def _next(rt: Runtime, scene_id: str) -> Send | Lookup | GiveUp | Wait:
    with rt.db.write() as session:
        return next_step(rt.settings, session, scene_id)


def test_a_send_with_a_fresh_record_is_waited_for_and_a_silent_one_looked_up(rt: Runtime) -> None:
    fresh = _uncertain_scene(rt, sent_ago=timedelta(seconds=1), uncertain=False)
    step = _next(rt, fresh)
    assert isinstance(step, Wait)
    assert 0 < step.delay_s <= rt.settings.stale_after_s

    gone = timedelta(seconds=rt.settings.stale_after_s + 1)
    silent = _uncertain_scene(rt, sent_ago=gone, uncertain=False, owner="bob")
    step = _next(rt, silent)
    assert isinstance(step, Lookup)
    assert "stopped before it was answered" in step.reason


def test_of_lookups_ending_together_only_the_latest_sends_again(rt: Runtime) -> None:
    scene_id = _uncertain_scene(rt, sent_ago=timedelta(seconds=5), uncertain=True)
    first, second = _next(rt, scene_id), _next(rt, scene_id)
    assert isinstance(first, Lookup)
    assert isinstance(second, Lookup)
    assert (first.lookups, second.lookups) == (1, 2)
    recorder = rt.dispatch
    assert isinstance(recorder, Recorder)

    # Both found no job. The one that knows the latest state sends again; the other leaves it be.
    _send_again(rt, scene_id, second)
    _send_again(rt, scene_id, first)
    assert recorder.submitted == [scene_id]

    resend = _next(rt, scene_id)
    assert isinstance(resend, Send)
    assert resend.sends == 2
    # A lookup that ends only now must not undo the send on its way.
    _send_again(rt, scene_id, second)
    assert recorder.submitted == [scene_id]
    assert isinstance(_next(rt, scene_id), Wait)


def test_a_submission_sent_the_most_times_is_never_sent_again(rt: Runtime) -> None:
    scene_id = _uncertain_scene(rt, sent_ago=None, uncertain=False, sends=MAX_SENDS)
    step = _next(rt, scene_id)
    assert isinstance(step, GiveUp)
    assert f"sent {MAX_SENDS} times" in step.reason
    with rt.db.read() as session:
        (call,) = session.scalars(select(ProviderCall).where(ProviderCall.scene_id == scene_id))
        assert call.sends == MAX_SENDS


class OtherTask:
    """Another task finding the scene after every transaction committed once the provider answered,
    as a worker handed a queued copy of its task (or the reaper) would: the steps it would take there."""

    def __init__(self, rt: Runtime, scene_id: str, answered: Callable[[], bool]) -> None:
        self.rt, self.scene_id, self.answered = rt, scene_id, answered
        self.steps: list[Send | Lookup | GiveUp | Wait] = []
        self.looked = 0
        self._inside = False

    def __call__(self, _info: Mapping[str, Any]) -> None:
        if self._inside or not self.answered():
            return  # its own commit, or one before the provider was asked
        self._inside = True
        try:
            with self.rt.db.write() as session:
                self.looked += 1
                scene = session.get(Scene, self.scene_id)
                if scene is not None and scene.status == SceneStatus.SUBMITTING:
                    self.steps.append(next_step(self.rt.settings, session, self.scene_id))
        finally:
            self._inside = False


@pytest.fixture
def replicate_rt(
    settings: Settings, sample_mp4: bytes, cdn: CdnServer
) -> Iterator[tuple[Runtime, ReplicateFake]]:
    """A runtime on a Replicate fake whose tasks are recorded, not run: the test runs them."""
    with ReplicateFake(sample_mp4, cdn, polls_needed=1) as fake:
        values: dict[str, Any] = {
            **{name: "" for name in PROVIDER_ENV if name != "OPENAI_BASE_URL"},
            "data_dir": settings.data_dir,
            "database_url": settings.database_url,
            "REPLICATE_API_TOKEN": fake.key,
            "replicate_base_url": fake.base_url,
            "clip_attempts": 2,
            "provider_retries": 0,  # each send is one request
        }
        runtime = build_runtime(Settings(_env_file=None, **values))  # type: ignore[call-arg]
        runtime.dispatch = Recorder()
        try:
            yield runtime, fake
        finally:
            runtime.close()


def _attempt_failed_once(
    rt: Runtime, scene_id: str, other: OtherTask, *, sends: int = MAX_SENDS, then: str = SceneStatus.PENDING
) -> None:
    """The attempt failed after `sends` sends and the scene is `then`; no other task sent meanwhile."""
    assert other.looked >= 1  # the other task did look after the failure's commit
    assert not [s for s in other.steps if isinstance(s, Send)], other.steps
    with rt.db.read() as session:
        scene = session.get(Scene, scene_id)
        assert scene is not None
        assert scene.status == then
        (call,) = session.scalars(select(ProviderCall).where(ProviderCall.scene_id == scene_id))
        assert call.sends == sends
        assert call.status == CallStatus.FAILED
        assert call.sent_at is None


def test_a_last_send_refused_fails_its_attempt_before_anyone_can_send_it_again(
    replicate_rt: tuple[Runtime, ReplicateFake],
) -> None:
    rt, fake = replicate_rt
    scene_id = _uncertain_scene(rt, sent_ago=None, uncertain=False, sends=MAX_SENDS - 1)
    fake.fail_always("create", status_fault(429, {"detail": "throttled"}))  # proves no prediction was made
    other = OtherTask(rt, scene_id, lambda: bool(fake.calls("create")))
    rt.db.commit_hooks.append(other)
    submit_scene(rt, scene_id)  # the last send

    assert len(fake.calls("create")) == 1
    assert not fake.jobs
    _attempt_failed_once(rt, scene_id, other)


def test_a_send_refused_for_good_fails_its_attempt_before_anyone_can_send_it_again(
    replicate_rt: tuple[Runtime, ReplicateFake],
) -> None:
    rt, fake = replicate_rt
    scene_id = _uncertain_scene(rt, sent_ago=None, uncertain=False, sends=0)
    fake.fail_always("create", status_fault(422, {"detail": "invalid input"}))
    other = OtherTask(rt, scene_id, lambda: bool(fake.calls("create")))
    rt.db.commit_hooks.append(other)
    submit_scene(rt, scene_id)  # the first send: no other provider to move on to

    assert len(fake.calls("create")) == 1
    _attempt_failed_once(rt, scene_id, other, sends=1, then=SceneStatus.FAILED)


def test_lookups_finding_nothing_after_the_last_send_fail_its_attempt_before_anyone_can_send_it_again(
    replicate_rt: tuple[Runtime, ReplicateFake],
) -> None:
    rt, fake = replicate_rt
    # The last send ended uncertain and one lookup found nothing; this task makes the second.
    scene_id = _uncertain_scene(rt, sent_ago=timedelta(seconds=1), uncertain=True, sends=MAX_SENDS, lookups=1)
    other = OtherTask(rt, scene_id, lambda: bool(fake.calls("list")))
    rt.db.commit_hooks.append(other)
    submit_scene(rt, scene_id)

    assert len(fake.calls("list")) == 1
    assert not fake.calls("create")
    _attempt_failed_once(rt, scene_id, other)


def _job_at(fake: ReplicateFake, prompt: str) -> str:
    """A prediction made at the fake directly (one whose prompt the fake's policy refuses fails)."""
    reply = httpx.post(
        f"{fake.base_url}/models/kwaivgi/kling-v3-video/predictions",
        json={"input": {"prompt": prompt}},
        headers={"Authorization": f"Bearer {fake.key}"},
    )
    reply.raise_for_status()
    return str(reply.json()["id"])


def test_a_late_answer_for_an_earlier_attempts_job_does_not_fail_the_next_attempt(
    replicate_rt: tuple[Runtime, ReplicateFake],
) -> None:
    rt, fake = replicate_rt
    scene_id = _uncertain_scene(rt, sent_ago=None, uncertain=False)
    first = _job_at(fake, f"a {fake.policy_word} boat")  # the provider will report it failed
    with rt.db.write() as session:
        scene = session.get(Scene, scene_id)
        assert scene is not None
        scene.status, scene.provider_job_id = SceneStatus.SUBMITTED, first
    # A poll of the first job is held at the provider while the scene moves on to its next attempt.
    fake.inject("get", slow_fault(2.0))
    late = threading.Thread(target=poll_scene, args=(rt, scene_id))
    late.start()
    wait_until(lambda: fake.calls("get"), timeout_s=10, message="the poll to reach the provider")
    second = _job_at(fake, "a boat")
    with rt.db.write() as session:
        scene = session.get(Scene, scene_id)
        assert scene is not None
        (call,) = session.scalars(select(ProviderCall).where(ProviderCall.scene_id == scene_id))
        call.status = CallStatus.FAILED
        scene.attempts, scene.provider_job_id = 2, second
        session.add(
            ProviderCall(
                generation_id=call.generation_id,
                scene_id=scene_id,
                provider="replicate",
                model=call.model,
                operation="submit",
                idempotency_key=f"clip:{scene_id}:2",
                sends=1,
                external_id=second,
                status=CallStatus.SUBMITTED,
            )
        )
    late.join(timeout=30)
    assert not late.is_alive()

    recorder = rt.dispatch
    assert isinstance(recorder, Recorder)
    assert recorder.submitted == []  # no third attempt
    with rt.db.read() as session:
        scene = session.get(Scene, scene_id)
        assert scene is not None
        assert (scene.status, scene.provider_job_id) == (SceneStatus.SUBMITTED, second)
        assert scene.error_message is None
        calls = session.scalars(
            select(ProviderCall).where(ProviderCall.scene_id == scene_id).order_by(ProviderCall.id)
        )
        assert [c.status for c in calls] == [CallStatus.FAILED, CallStatus.SUBMITTED]


def test_a_send_that_stalled_before_going_out_and_was_taken_over_is_not_sent(
    replicate_rt: tuple[Runtime, ReplicateFake],
) -> None:
    rt, fake = replicate_rt
    scene_id = _uncertain_scene(rt, sent_ago=None, uncertain=False, sends=0)
    stalled = _next(rt, scene_id)
    assert isinstance(stalled, Send)
    # Its task stalls (references read from an unreachable bucket, say) past `stale_after_s`; another
    # task finds the record stale and takes the submission over to look it up.
    with rt.db.write() as session:
        call = session.get(ProviderCall, stalled.call_id)
        assert call is not None
        assert call.sent_at is not None
        call.sent_at -= timedelta(seconds=rt.settings.stale_after_s + 1)
    assert isinstance(_next(rt, scene_id), Lookup)

    _send(rt, scene_id, stalled)  # the stalled task goes on

    assert not fake.calls("create")
    with rt.db.read() as session:
        call = session.get(ProviderCall, stalled.call_id)
        assert call is not None
        assert (call.sends, call.lookups) == (1, 1)
        assert call.uncertain_at is not None  # still the taker's to settle


def _waiting_on_locks(rt: Runtime) -> int:
    """Transactions of this test's database waiting on a lock (PostgreSQL)."""
    with rt.db.engine.connect() as probe:  # a fresh snapshot of pg_stat_activity each time
        return int(
            probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar_one()
        )


def test_a_task_arriving_as_the_job_is_stored_does_not_send_the_submission_again(
    replicate_rt: tuple[Runtime, ReplicateFake],
) -> None:
    rt, fake = replicate_rt
    if rt.db.is_sqlite:
        pytest.skip("SQLite lets one write transaction in at a time: no task can read a scene mid-commit")
    scene_id = _uncertain_scene(rt, sent_ago=timedelta(seconds=0), uncertain=False)
    job = _job_at(fake, "a boat")
    # The sending task stores the job it got, and has not committed yet when another task (a queued
    # copy) looks at the scene.
    with rt.db.engine.connect() as storing:
        storing.execute(
            update(Scene)
            .where(Scene.id == scene_id)
            .values(status=SceneStatus.SUBMITTED, provider_job_id=job)
        )
        storing.execute(
            update(ProviderCall)
            .where(ProviderCall.scene_id == scene_id)
            .values(external_id=job, status=CallStatus.SUBMITTED, sent_at=None)
        )
        other = threading.Thread(target=submit_scene, args=(rt, scene_id))
        other.start()
        wait_until(lambda: _waiting_on_locks(rt) >= 1, timeout_s=30, message="the other task to wait")
        storing.commit()
    other.join(timeout=30)
    assert not other.is_alive()

    assert len(fake.calls("create")) == 1  # ours, above: the other task polls the job instead
    recorder = rt.dispatch
    assert isinstance(recorder, Recorder)
    assert recorder.polled == [scene_id]
    with rt.db.read() as session:
        (call,) = session.scalars(select(ProviderCall).where(ProviderCall.scene_id == scene_id))
        assert (call.sends, call.sent_at, call.external_id) == (1, None, job)
