"""Several tasks finding one scene's submission at once: the provider is still asked only once.

A send keeps its record fresh while the provider holds the create, so a task handed the scene by the
reaper meanwhile waits instead of looking the job up (too early: the provider has not made it yet)
and sending again. Of several lookups that ended at the same time, only the one that knows the latest
state may send the submission again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from reelsmith.config import Settings
from reelsmith.db.models import Generation, ProviderCall, Scene, User, Variant, utcnow
from reelsmith.pipeline.clips.submissions import Lookup, Send, Wait, next_step
from reelsmith.pipeline.clips.uncertain import _send_again
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import GenerationStatus, SceneStatus, VariantStatus
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer, slow_fault
from tests.pipeline.helpers import runtime_on
from tests.pipeline.test_uncertain_submits import _run
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


def _uncertain_scene(rt: Runtime, *, sent_ago: timedelta, uncertain: bool, owner: str = "ada") -> str:
    """A submitting scene whose one send went out `sent_ago` (its outcome unknown when `uncertain`)."""
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
        sent = utcnow() - sent_ago
        session.add(
            ProviderCall(
                generation_id=gen.id,
                scene_id=scene.id,
                provider="replicate",
                model="kwaivgi/kling-v3-video",
                operation="submit",
                idempotency_key=f"clip:{scene.id}:1",
                sends=1,
                sent_at=sent,
                uncertain_at=sent if uncertain else None,
            )
        )
        return scene.id


def _next(rt: Runtime, scene_id: str) -> Send | Lookup | Wait:
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
