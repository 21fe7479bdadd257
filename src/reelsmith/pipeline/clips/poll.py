"""Asking a provider how a scene's job is doing, and acting on the answer without waiting for it.

An unfinished job re-schedules the poll (after the delay the provider asks for); a finished one is
fetched and joined; a failed one goes to failover. No worker thread ever sleeps on a provider.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import update

from reelsmith.db.models import ProviderCall, Scene, utcnow
from reelsmith.errors import ProviderError, ReelsmithError, ServiceUnavailable
from reelsmith.pipeline.clips.failover import handle_failure
from reelsmith.pipeline.clips.fetch import discard_unrecorded_clip, fetch_clip
from reelsmith.pipeline.clips.join import complete_scene
from reelsmith.pipeline.clips.windows import prepare_windows
from reelsmith.vocabulary import SCENES_AT_PROVIDER, GenerationStatus, SceneStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

POLL_ERROR_DELAY_S = 5.0


def poll_scene(rt: Runtime, scene_id: str) -> None:
    """Ask the provider how the scene's job is doing and act on the answer."""
    job = _job_of(rt, scene_id)
    if job is None:
        return
    provider, job_id = job
    try:
        status = rt.providers.video(provider).poll(job_id)
    except ProviderError as e:
        if e.permanent:
            handle_failure(rt, scene_id, e.message, permanent=True, job_id=job_id)
        else:
            log.warning("poll of scene %s failed transiently: %s", scene_id, e.message)
            rt.dispatch.poll_scene(scene_id, e.retry_after_s or POLL_ERROR_DELAY_S)
        return
    if status.state in ("queued", "running"):
        _note_progress(rt, scene_id, status.progress)
        rt.dispatch.poll_scene(scene_id, status.poll_after_s)
    elif status.state == "failed":
        reason = status.reason or "the provider reported a failure"
        handle_failure(rt, scene_id, reason, permanent=status.permanent, job_id=job_id)
    else:
        if status.served_model:
            _note_served_model(rt, provider, job_id, status.served_model)
        _finish(rt, scene_id, provider, job_id)


def _job_of(rt: Runtime, scene_id: str) -> tuple[str, str] | None:
    """(provider, job id) of the scene if a provider is working on it for a live generation."""
    with rt.db.read() as session:
        scene = session.get(Scene, scene_id)
        if scene is None or scene.status not in SCENES_AT_PROVIDER or scene.provider_job_id is None:
            return None
        if scene.variant.generation.status != GenerationStatus.PROCESSING:
            return None
        return scene.provider or "local", scene.provider_job_id


def _note_progress(rt: Runtime, scene_id: str, progress: float) -> None:
    with rt.db.write() as session:
        session.execute(
            update(Scene)
            .where(Scene.id == scene_id, Scene.status.in_(SCENES_AT_PROVIDER))
            .values(status=SceneStatus.RUNNING, progress=progress, updated_at=utcnow())
        )


def _note_served_model(rt: Runtime, provider: str, job_id: str, served: str) -> None:
    """Record the model that made the clip when the provider routed the request to another one.

    Providers retire model ids by silently serving a successor; the call's record should say which
    model the user actually paid for.
    """
    with rt.db.write() as session:
        changed = session.execute(
            update(ProviderCall)
            .where(
                ProviderCall.provider == provider,
                ProviderCall.external_id == job_id,
                ProviderCall.model != served[:100],
            )
            .values(model=served[:100])
        )
    if changed.rowcount:  # type: ignore[attr-defined]
        log.warning("%s served job %s with %s, not the model asked for", provider, job_id, served)


def _finish(rt: Runtime, scene_id: str, provider: str, job_id: str) -> None:
    """Fetch the finished clip, store it with its poster, mark the scene done, and join."""
    try:
        fetched = fetch_clip(rt, scene_id, provider, job_id)
    except ReelsmithError as e:
        if (isinstance(e, ProviderError) and not e.permanent) or isinstance(e, ServiceUnavailable):
            # The job finished and is paid for: a hiccup while downloading it (or while storing it: the
            # blob store unreachable for a while) is retried by polling again, never by throwing the
            # job away and paying for a new one.
            log.warning("fetch of scene %s failed transiently: %s", scene_id, e.message)
            rt.dispatch.poll_scene(scene_id, e.retry_after_s or POLL_ERROR_DELAY_S)
            return
        handle_failure(
            rt,
            scene_id,
            f"could not use the finished clip: {e.message}",
            permanent=False,
            plain="the finished clip could not be used",
            job_id=job_id,
        )
        return
    if fetched is None:
        return
    try:
        joined = complete_scene(rt, fetched)
    except Exception:
        discard_unrecorded_clip(rt, fetched)
        raise
    if joined:
        rt.dispatch.advance(fetched.generation_id)
    elif discard_unrecorded_clip(rt, fetched):
        return  # another task recorded this scene's clip first
    elif not fetched.last:
        # Other scenes are still rendering: make this clip's transitions now, off the critical path.
        prepare_windows(rt, fetched.scene_id)
