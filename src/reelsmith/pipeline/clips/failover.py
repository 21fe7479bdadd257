"""When a clip fails: try the provider again, move on to the next one of the chain, or give up.

A transient failure is retried on the same provider up to `clip_attempts` submissions; a permanent
one (a refusal, a bad request) moves straight on. With the chain used up the scene fails, and with
it the generation, unless the scene was being regenerated and its previous clip can be kept. A
`final` failure (a submission that may have started a paid job nobody can find) neither retries
nor moves on: either could pay for the clip twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, ProviderCall, Scene, Variant, utcnow
from reelsmith.pipeline.clips.submissions import SendAt, latest_submit, settle_at, submits_to
from reelsmith.pipeline.failure import FailureText, explain, fail_generation, scene_label
from reelsmith.pipeline.progress import record_event
from reelsmith.pipeline.regeneration import restore_previous
from reelsmith.providers.registry import VIDEO_PROVIDERS, parse_chain
from reelsmith.vocabulary import SCENES_AT_PROVIDER, CallStatus, SceneStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

# What a scene shows when its clip failed for a reason of ours or the provider's (not the content).
PROVIDER_FAILED = "the video provider failed"
# Scenes whose failure is still ours to handle (a provider was asked, or is about to be).
_FAILABLE = (SceneStatus.SUBMITTING, *SCENES_AT_PROVIDER)


def video_chain(rt: Runtime, gen: Generation) -> list[str]:
    """The generation's video provider failover chain."""
    chain = gen.inputs.video_provider or rt.settings.video_provider
    return parse_chain(chain, VIDEO_PROVIDERS, "video_provider")


def handle_failure(
    rt: Runtime,
    scene_id: str,
    reason: str,
    *,
    permanent: bool,
    plain: str = PROVIDER_FAILED,
    final: bool = False,
    at: SendAt | None = None,
    job_id: str | None = None,
) -> None:
    """Retry the scene, fail over to the next provider, or fail the generation with the reason.

    `reason` is the full text (kept in the log and the owner's records); the scene and the generation
    show `plain` instead, or the provider's own words when it refused the content. With `at` (a failure
    learnt from a send or a lookup) only if the submission is still at that send and lookup, and its
    send is settled in the same transaction: no task finds it settled and sends again before the scene
    has moved on. With `job_id` (a failure learnt from polling a job) only if the scene is still on that
    job: a poll that began before the scene moved on to another attempt must not fail that one.
    """
    text = explain(reason, plain)
    with rt.db.write() as session:
        found = session.get(Scene, scene_id)
        if found is None:
            return
        # The variant's lock serialises this with the join and with other failures of its scenes; the
        # scene's, taken next, with a job being stored meanwhile (its status is read under it).
        session.scalars(select(Variant).where(Variant.id == found.variant_id).with_for_update()).one()
        scene = session.scalars(
            select(Scene)
            .where(Scene.id == scene_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if scene.status not in _FAILABLE:
            return
        if at is not None and not settle_at(session, scene.id, at):
            return  # another task sent or looked again since: its knowledge is newer, it decides
        if job_id is not None and scene.provider_job_id != job_id:
            return  # an earlier attempt's job: its failure was handled already
        log.warning("clip of scene %s failed: %s", scene_id, text.detail)
        retry = _set_up_next_attempt(rt, session, scene, text, permanent=permanent, final=final)
        gen = scene.variant.generation
        record_event(
            session,
            gen.id,
            "scene",
            {
                "index": scene.index,
                "status": "retrying" if retry else SceneStatus.FAILED,
                "provider": scene.provider,
                "error": text.public,
            },
        )
        if not retry and not restore_previous(session, gen, scene, text.public):
            label = scene_label(scene)
            fail_generation(
                session, gen.id, f"{label} failed: {text.public}", detail=f"{label} failed: {text.detail}"
            )
    if retry:
        rt.dispatch.submit_scene(scene_id)


def _set_up_next_attempt(
    rt: Runtime, session: Session, scene: Scene, text: FailureText, *, permanent: bool, final: bool = False
) -> bool:
    """Close the failed call and make the scene pending again where a try is left; False if none is.

    The call's record (the owner's) keeps the full text; the scene shows the plain one.
    """
    provider = scene.provider or "local"
    session.execute(
        update(ProviderCall)
        .where(ProviderCall.id == latest_submit(session, scene.id).id)
        .values(status=CallStatus.FAILED, error_message=text.detail[:2000])
    )
    tries_here = submits_to(session, scene.id, provider)
    chain = video_chain(rt, scene.variant.generation)
    following = chain[chain.index(provider) + 1 :] if provider in chain else []
    scene.provider_job_id = None
    public = text.public
    scene.error_message = public if public.startswith(provider) else f"{provider}: {public}"
    scene.updated_at = utcnow()
    if final:
        scene.status = SceneStatus.FAILED
        return False
    if not permanent and tries_here < rt.settings.clip_attempts:
        scene.status = SceneStatus.PENDING
        return True
    if following:
        scene.status, scene.provider = SceneStatus.PENDING, following[0]
        return True
    scene.status = SceneStatus.FAILED
    return False
