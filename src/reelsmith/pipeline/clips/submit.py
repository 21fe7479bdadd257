"""Submitting a scene's clip: claim the scene, record the call, send it, store the job id.

Submissions are at-most-once per attempt: the scene moves to `submitting` and the call's
idempotency key is recorded in one transaction *before* the provider is asked; a resumed task
re-sends the same key, so the provider (or our local renderer) returns the job it already has.
The job id is stored by a conditional update, so of two racing tasks only one moves the scene on.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.orm import Session

from reelsmith.db.models import ProviderCall, Scene, utcnow
from reelsmith.errors import ProviderError
from reelsmith.pipeline.clips.failover import handle_failure, video_chain
from reelsmith.pipeline.clips.request import clip_request, fitted_request
from reelsmith.pipeline.clips.submissions import SUBMIT, latest_submit
from reelsmith.pipeline.clips.webhooks import wants_webhook, webhook_url
from reelsmith.pipeline.progress import record_event
from reelsmith.providers.fitting import Fit, fitted_duration
from reelsmith.providers.pricing import clip_cost
from reelsmith.vocabulary import SCENES_AT_PROVIDER, CallStatus, GenerationStatus, SceneStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

# How often one submission (one idempotency key) is sent before the attempt counts as failed.
MAX_SENDS = 3


@dataclass(frozen=True)
class _Send:
    """One send of a recorded submission, counted before it goes out."""

    call_id: int
    provider: str
    sends: int  # including this one
    idempotency_key: str
    webhook_url: str


def submit_scene(rt: Runtime, scene_id: str) -> None:
    """Submit the scene's clip if it is waiting for one; otherwise make sure it is being polled."""
    with rt.db.write() as session:
        scene = session.get(Scene, scene_id)
        if scene is None or scene.variant.generation.status != GenerationStatus.PROCESSING:
            return
        if scene.status in SCENES_AT_PROVIDER:
            send = None
        else:
            if scene.status == SceneStatus.PENDING and not _claim(rt, session, scene):
                return  # another task claimed it
            if scene.status != SceneStatus.SUBMITTING:
                return
            # Claimed just now, or a previous task died between recording the call and storing the job id.
            send = _count_send(rt, session, scene.id)
    if send is None:
        rt.dispatch.poll_scene(scene_id)
    else:
        _send(rt, scene_id, send)


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


def _count_send(rt: Runtime, session: Session, scene_id: str) -> _Send:
    """Count one more send of the scene's recorded call, before it is made."""
    call = latest_submit(session, scene_id)
    call.sends += 1
    return _Send(call.id, call.provider, call.sends, call.idempotency_key, webhook_url(rt, call))


def _send(rt: Runtime, scene_id: str, send: _Send) -> None:
    """Send the submission; store the job id, or resend, retry or fail over when it does not go through."""
    request = clip_request(rt, scene_id, send.idempotency_key, send.webhook_url)
    if request is None:
        return
    try:
        fit = fitted_request(rt, send.provider, request)
    except ProviderError as e:
        # The model cannot take this request at all: nothing is sent, the chain moves on.
        handle_failure(rt, scene_id, e.message, permanent=True, plain=e.message)
        return
    if fit.notes and send.sends == 1:
        _record_fit(rt, scene_id, send.provider, fit)
    try:
        handle = rt.providers.video(send.provider).submit(fit.request)
    except ProviderError as e:
        if not e.permanent and send.sends < MAX_SENDS:
            # The provider may have made the job before the error reached us: send again under the
            # same idempotency key rather than start a new (and newly paid) attempt.
            log.warning("submit of scene %s failed transiently (%s); resending", scene_id, e.message)
            rt.dispatch.submit_scene(scene_id, e.retry_after_s or float(2**send.sends))
            return
        handle_failure(rt, scene_id, e.message, permanent=e.permanent)
        return
    if _store_job(rt, scene_id, send, handle.external_id):
        rt.dispatch.poll_scene(scene_id, handle.poll_after_s)


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


def _store_job(rt: Runtime, scene_id: str, send: _Send, external_id: str) -> bool:
    """Record the provider's job id on the scene and its call; True if this task moved the scene on."""
    with rt.db.write() as session:
        stored = session.execute(
            update(Scene)
            .where(
                Scene.id == scene_id, Scene.status == SceneStatus.SUBMITTING, Scene.provider_job_id.is_(None)
            )
            .values(status=SceneStatus.SUBMITTED, provider_job_id=external_id, updated_at=utcnow())
        )
        call = session.get(ProviderCall, send.call_id)
        if call is not None:
            call.external_id = external_id
            call.status = CallStatus.SUBMITTED
        if stored.rowcount != 1:  # type: ignore[attr-defined]
            return False
        scene = session.get(Scene, scene_id)
        assert scene is not None
        record_event(
            session,
            scene.variant.generation_id,
            "scene",
            {"index": scene.index, "status": SceneStatus.SUBMITTED, "provider": send.provider},
        )
        return True
