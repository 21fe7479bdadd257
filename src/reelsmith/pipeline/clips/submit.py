"""Submitting a scene's clip: claim the scene, record the call, send it, store the job id.

Submissions are at-most-once per attempt: the scene moves to `submitting` and the call's
idempotency key is recorded in one transaction *before* the provider is asked, and each send is
counted and its start recorded before it goes out (and kept fresh while it waits for an answer). A
send that failed in a way proving no job was made is sent again; one that may have reached the
provider (no provider honours the idempotency key) is looked up instead (`uncertain`). The job id is
stored by a conditional update, so of two racing tasks only one moves the scene on.
"""

from __future__ import annotations

import logging
import secrets
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reelsmith.db.models import ProviderCall, Scene, utcnow
from reelsmith.errors import ProviderError
from reelsmith.pipeline.clips.failover import handle_failure, video_chain
from reelsmith.pipeline.clips.request import clip_request, fitted_request
from reelsmith.pipeline.clips.store import store_job
from reelsmith.pipeline.clips.submissions import (
    MAX_SENDS,
    SUBMIT,
    GiveUp,
    Lookup,
    Send,
    Wait,
    beat_send,
    next_step,
    settle,
)
from reelsmith.pipeline.clips.uncertain import look_up, note_uncertain
from reelsmith.pipeline.clips.webhooks import wants_webhook, webhook_url_for
from reelsmith.pipeline.heartbeat import beat_interval_s, beating
from reelsmith.pipeline.progress import record_event
from reelsmith.providers.fitting import Fit, fitted_duration
from reelsmith.providers.http import UncertainSubmit
from reelsmith.providers.pricing import clip_cost
from reelsmith.vocabulary import SCENES_AT_PROVIDER, GenerationStatus, SceneStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)


def submit_scene(rt: Runtime, scene_id: str) -> None:
    """Submit the scene's clip if it is waiting for one; otherwise make sure it is being polled."""
    with rt.db.write() as session:
        # Decided under the scene's lock: a job stored (or an attempt failed) by another task commits
        # first and is seen here, or waits. Read before it, the scene would look still submitting while
        # its call, settled by that commit, looked ready to send again.
        scene = session.scalars(select(Scene).where(Scene.id == scene_id).with_for_update()).first()
        if scene is None or scene.variant.generation.status != GenerationStatus.PROCESSING:
            return
        if scene.status in SCENES_AT_PROVIDER:
            step: Send | Lookup | GiveUp | Wait | None = None
        else:
            if scene.status == SceneStatus.PENDING and not _claim(rt, session, scene):
                return  # another task claimed it
            if scene.status != SceneStatus.SUBMITTING:
                return
            # Claimed just now; or an earlier send failed, ended uncertainly, or its task died.
            step = next_step(rt.settings, session, scene.id)
    if step is None:
        rt.dispatch.poll_scene(scene_id)
    elif isinstance(step, Wait):
        rt.dispatch.submit_scene(scene_id, step.delay_s)
    elif isinstance(step, Lookup):
        look_up(rt, scene_id, step)
    elif isinstance(step, GiveUp):
        handle_failure(rt, scene_id, step.reason, permanent=False, at=step.at)
    else:
        _send(rt, scene_id, step)


def _claim(rt: Runtime, session: Session, scene: Scene) -> bool:
    """Move a pending scene to submitting and record the call it is about to make; False if beaten to it."""
    gen = scene.variant.generation
    provider = scene.provider or video_chain(rt, gen)[0]
    claimed = session.execute(
        update(Scene)
        .where(Scene.id == scene.id, Scene.status == SceneStatus.PENDING)
        .values(
            status=SceneStatus.SUBMITTING,
            attempts=Scene.attempts + 1,
            provider=provider,
            provider_job_id=None,
            updated_at=utcnow(),
        )
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(scene)
    model = rt.providers.video(provider)
    # Priced for the length the model will make, not the one the scene asked for.
    seconds = fitted_duration(rt.providers.entry(provider, "video"), scene.duration_s)
    session.add(
        ProviderCall(
            generation_id=gen.id,
            scene_id=scene.id,
            provider=provider,
            model=model.model,
            operation=SUBMIT,
            idempotency_key=f"clip:{scene.id}:{scene.attempts}",
            cost_usd=clip_cost(
                provider, model.model, seconds, prices=rt.settings.prices, catalogue=rt.providers.catalogue
            ),
            webhook_token=secrets.token_urlsafe(24) if wants_webhook(rt, provider) else None,
        )
    )
    record_event(
        session,
        gen.id,
        "scene",
        {
            "index": scene.index,
            "status": SceneStatus.SUBMITTING,
            "provider": provider,
            "attempt": scene.attempts,
        },
    )
    return True


def _send(rt: Runtime, scene_id: str, send: Send) -> None:
    """Send the submission; store the job id, or resend, retry or fail over when it does not go through.

    A send that may have reached the provider is never simply sent again: it is looked up first. The
    send's record is kept fresh from the start (building the request can wait on storage for
    references), and the send goes out only if the record is still this task's: one that stalled past
    `stale_after_s` has been handed to another task, which looks it up and sends it itself.
    """
    try:
        with _beating(rt, send):
            fit = _fitted(rt, scene_id, send)
            if fit is None:
                return
            if not _still_ours(rt, send):
                log.warning("scene %s: the send stalled and was handed on; not sending it", scene_id)
                return
            handle = rt.providers.video(send.provider).submit(fit.request)
    except UncertainSubmit as e:
        log.warning(
            "submit of scene %s may have reached the provider (%s); looking it up", scene_id, e.message
        )
        note_uncertain(rt, scene_id, send, e.message)
        return
    except ProviderError as e:
        # The failure proves the provider made no job. Unless the send was given up for lost meanwhile
        # (the task that took over decides), it is settled: sent again, or failed with the attempt.
        if e.permanent or send.sends >= MAX_SENDS:
            handle_failure(rt, scene_id, e.message, permanent=e.permanent, at=send.at)
        elif _settle(rt, send):
            log.warning("submit of scene %s failed transiently (%s); resending", scene_id, e.message)
            rt.dispatch.submit_scene(scene_id, e.retry_after_s or float(2**send.sends))
        return
    if store_job(rt, scene_id, send.call_id, send.provider, handle.external_id):
        rt.dispatch.poll_scene(scene_id, handle.poll_after_s)


def _fitted(rt: Runtime, scene_id: str, send: Send) -> Fit | None:
    """The scene's request fitted to the send's model; None when the scene is gone or the model cannot
    take the request at all (nothing is sent, the chain moves on)."""
    request = clip_request(
        rt, scene_id, send.idempotency_key, webhook_url_for(rt, send.provider, send.webhook_token)
    )
    if request is None:
        return None
    try:
        fit = fitted_request(rt, send.provider, request)
    except ProviderError as e:
        handle_failure(rt, scene_id, e.message, permanent=True, plain=e.message, at=send.at)
        return None
    if fit.notes and send.sends == 1:
        _record_fit(rt, scene_id, send.provider, fit)
    return fit


def _beating(rt: Runtime, send: Send) -> AbstractContextManager[None]:
    """Keep the send's record fresh until the provider has answered: others wait for it meanwhile."""
    return beating(beat_interval_s(rt.settings), lambda: _still_ours(rt, send), f"send-{send.call_id}")


def _still_ours(rt: Runtime, send: Send) -> bool:
    """Refresh the send's record if it is still this task's (not handed on for a lookup, not resent)."""
    with rt.db.write() as session:
        return beat_send(session, send.call_id, send.sends)


def _settle(rt: Runtime, send: Send) -> bool:
    """Record that the send made no job, if it is still the call's send in flight."""
    with rt.db.write() as session:
        return settle(session, send.call_id, sends=send.sends)


def _record_fit(rt: Runtime, scene_id: str, provider: str, fit: Fit) -> None:
    """Tell the generation's followers how the request was fitted: the clip's length, dropped references."""
    with rt.db.write() as session:
        scene = session.get(Scene, scene_id)
        if scene is None:
            return
        record_event(
            session,
            scene.variant.generation_id,
            "log",
            {
                "index": scene.index,
                "provider": provider,
                "requested_s": fit.requested_s,
                "duration_s": fit.request.duration_s,
                "message": " ".join(fit.notes),
            },
        )
