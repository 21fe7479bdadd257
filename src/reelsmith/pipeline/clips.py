"""One clip per scene: submit, poll (re-scheduled, never waiting), fetch, and the join.

Submissions are at-most-once per attempt: the scene moves to `submitting` and the call's
idempotency key is recorded in one transaction *before* the provider is asked; a resumed task
re-sends the same key, so the provider (or our local renderer) returns the job it already has.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation, ProviderCall, Scene, Variant, utcnow
from reelsmith.errors import ProviderError, ReelsmithError
from reelsmith.pipeline.assets import add_asset, store_image, store_video
from reelsmith.pipeline.billing import refresh_cost
from reelsmith.pipeline.failure import fail_generation, scene_label
from reelsmith.pipeline.modes import CLIPS_START, step_def
from reelsmith.pipeline.progress import record_event, set_progress
from reelsmith.pipeline.regeneration import restore_previous
from reelsmith.providers.base import ClipRequest
from reelsmith.providers.pricing import clip_cost
from reelsmith.providers.registry import VIDEO_PROVIDERS, parse_chain
from reelsmith.storage import keys
from reelsmith.storage.local import LocalBlobStore

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

IN_FLIGHT = ("submitted", "running")
# Providers that can call us back when a job ends (when REELSMITH_PUBLIC_URL is set).
WEBHOOK_PROVIDERS = ("replicate", "fal", "luma")
POLL_ERROR_DELAY_S = 5.0
# How often one submission (one idempotency key) is sent before the attempt counts as failed.
MAX_SENDS = 3


def video_chain(rt: Runtime, gen: Generation) -> list[str]:
    """The generation's video provider failover chain."""
    return parse_chain(
        gen.params.get("video_provider", rt.settings.video_provider), VIDEO_PROVIDERS, "video_provider"
    )


def scene_seed(generation_id: str, index: int) -> int:
    """A stable seed per scene so a retry renders the same picture."""
    return zlib.crc32(f"{generation_id}:{index}".encode()) & 0x7FFFFFFF


def submit_scene(rt: Runtime, scene_id: str) -> None:
    """Submit the scene's clip if it is waiting for one; otherwise make sure it is being polled."""
    with rt.db.write() as session:
        scene = session.get(Scene, scene_id)
        if scene is None:
            return
        gen = scene.variant.generation
        if gen.status != "processing":
            return
        if scene.status in IN_FLIGHT:
            poll_now = True
        elif scene.status == "pending":
            poll_now = False
            provider = scene.provider or video_chain(rt, gen)[0]
            claimed = session.execute(
                update(Scene)
                .where(Scene.id == scene.id, Scene.status == "pending")
                .values(
                    status="submitting",
                    attempts=Scene.attempts + 1,
                    provider=provider,
                    provider_job_id=None,
                    updated_at=utcnow(),
                )
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return
            session.refresh(scene)
            model = rt.providers.video(provider)
            call = ProviderCall(
                generation_id=gen.id,
                scene_id=scene.id,
                provider=provider,
                model=model.model,
                operation="submit",
                idempotency_key=f"clip:{scene.id}:{scene.attempts}",
                cost_usd=clip_cost(provider, model.model, scene.duration_s, prices=rt.settings.prices),
                webhook_token=secrets.token_urlsafe(24) if _wants_webhook(rt, provider) else None,
            )
            session.add(call)
            record_event(
                session,
                gen.id,
                "scene",
                {
                    "index": scene.index,
                    "status": "submitting",
                    "provider": provider,
                    "attempt": scene.attempts,
                },
            )
        elif scene.status == "submitting":
            poll_now = False  # a previous task died between recording the call and storing the job id
        else:
            return
        if not poll_now:
            call = _latest_submit(session, scene.id)
            call.sends += 1
            request = _clip_request(rt, session, gen, scene, call.idempotency_key, _webhook_url(rt, call))
            call_id, provider, sends = call.id, call.provider, call.sends
    if poll_now:
        rt.dispatch.poll_scene(scene_id)
        return
    try:
        handle = rt.providers.video(provider).submit(request)
    except ProviderError as e:
        if not e.permanent and sends < MAX_SENDS:
            # The provider may have made the job before the error reached us: send again under the
            # same idempotency key rather than start a new (and newly paid) attempt.
            log.warning("submit of scene %s failed transiently (%s); resending", scene_id, e.message)
            rt.dispatch.submit_scene(scene_id, e.retry_after_s or float(2**sends))
            return
        handle_failure(rt, scene_id, e.message, permanent=e.permanent)
        return
    with rt.db.write() as session:
        stored = session.execute(
            update(Scene)
            .where(Scene.id == scene_id, Scene.status == "submitting", Scene.provider_job_id.is_(None))
            .values(status="submitted", provider_job_id=handle.external_id, updated_at=utcnow())
        )
        call_row = session.get(ProviderCall, call_id)
        if call_row is not None:
            call_row.external_id = handle.external_id
            call_row.status = "submitted"
        if stored.rowcount == 1:  # type: ignore[attr-defined]
            scene = session.get(Scene, scene_id)
            assert scene is not None
            record_event(
                session,
                scene.variant.generation_id,
                "scene",
                {"index": scene.index, "status": "submitted", "provider": provider},
            )
    if stored.rowcount == 1:  # type: ignore[attr-defined]
        rt.dispatch.poll_scene(scene_id, handle.poll_after_s)


def _latest_submit(session: Session, scene_id: str) -> ProviderCall:
    call = session.scalars(
        select(ProviderCall)
        .where(ProviderCall.scene_id == scene_id, ProviderCall.operation == "submit")
        .order_by(ProviderCall.id.desc())
        .limit(1)
    ).first()
    if call is None:
        raise ReelsmithError(f"scene {scene_id} is submitting but has no recorded call", code="pipeline")
    return call


def _wants_webhook(rt: Runtime, provider: str) -> bool:
    return bool(rt.settings.public_url) and provider in WEBHOOK_PROVIDERS


def _webhook_url(rt: Runtime, call: ProviderCall) -> str:
    """Where the provider reports this call's job (the token is the only credential)."""
    if not call.webhook_token or not rt.settings.public_url:
        return ""
    return f"{rt.settings.public_url.rstrip('/')}/api/webhooks/{call.provider}/{call.webhook_token}"


def _clip_request(
    rt: Runtime, session: Session, gen: Generation, scene: Scene, key: str, webhook_url: str = ""
) -> ClipRequest:
    anchor = gen.params.get("style_anchor", "")
    prompt = f"{scene.description} {anchor}".strip()
    return ClipRequest(
        prompt=prompt,
        duration_s=scene.duration_s,
        aspect=gen.params.get("aspect_ratio", "16:9"),
        seed=scene_seed(gen.id, scene.index),
        idempotency_key=key,
        negative_prompt=scene.negative_prompt,
        on_screen_text=scene.on_screen_text,
        camera=scene.camera,
        title=gen.title,
        scene_index=scene.index,
        scene_count=scene.variant.total_scenes,
        reference_images=reference_files(rt, session, gen),
        webhook_url=webhook_url,
    )


def reference_files(rt: Runtime, session: Session, gen: Generation) -> tuple[Path, ...]:
    """Local paths of the generation's reference images (downloaded once when storage is remote)."""
    ids = list(gen.params.get("reference_asset_ids", []))
    if not ids:
        return ()
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(ids)))}
    paths: list[Path] = []
    for asset_id in ids:
        asset = assets.get(asset_id)
        if asset is None:
            continue
        if isinstance(rt.blobs, LocalBlobStore):
            paths.append(rt.blobs.root / asset.storage_key)
            continue
        cached = rt.settings.data_dir / "cache" / asset.storage_key
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            with rt.blobs.open(asset.storage_key) as src:
                tmp = cached.with_suffix(".part")
                tmp.write_bytes(src.read())
                tmp.replace(cached)
        paths.append(cached)
    return tuple(paths)


def poll_scene(rt: Runtime, scene_id: str) -> None:
    """Ask the provider how the scene's job is doing and act on the answer."""
    with rt.db.read() as session:
        scene = session.get(Scene, scene_id)
        if scene is None or scene.status not in IN_FLIGHT or scene.provider_job_id is None:
            return
        if scene.variant.generation.status != "processing":
            return
        provider, job_id = scene.provider or "local", scene.provider_job_id
    model = rt.providers.video(provider)
    try:
        status = model.poll(job_id)
    except ProviderError as e:
        if e.permanent:
            handle_failure(rt, scene_id, e.message, permanent=True)
        else:
            log.warning("poll of scene %s failed transiently: %s", scene_id, e.message)
            rt.dispatch.poll_scene(scene_id, e.retry_after_s or POLL_ERROR_DELAY_S)
        return
    if status.state in ("queued", "running"):
        with rt.db.write() as session:
            session.execute(
                update(Scene)
                .where(Scene.id == scene_id, Scene.status.in_(IN_FLIGHT))
                .values(status="running", progress=status.progress, updated_at=utcnow())
            )
        rt.dispatch.poll_scene(scene_id, status.poll_after_s)
    elif status.state == "failed":
        handle_failure(
            rt, scene_id, status.reason or "the provider reported a failure", permanent=status.permanent
        )
    else:
        _finish_scene(rt, scene_id, provider, job_id)


def _finish_scene(rt: Runtime, scene_id: str, provider: str, job_id: str) -> None:
    """Fetch the clip, store it with its poster, mark the scene done, and join."""
    from reelsmith.media.thumbnail import make_thumbnail

    with rt.db.read() as session:
        scene = session.get(Scene, scene_id)
        if scene is None:
            return
        gen_id, variant_kind, index = scene.variant.generation_id, scene.variant.kind, scene.index
        user_id = scene.variant.generation.user_id
    scratch = rt.settings.data_dir / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=scratch) as tmp:
            clip_path, thumb_path = Path(tmp) / "clip.mp4", Path(tmp) / "thumb.jpg"
            rt.providers.video(provider).fetch(job_id, clip_path)
            size = make_thumbnail(clip_path, thumb_path)
            clip = store_video(rt, keys.scene_clip(gen_id, variant_kind, index), clip_path)
            thumb = store_image(
                rt, keys.scene_thumbnail(gen_id, variant_kind, index), thumb_path, "image/jpeg", size
            )
    except ReelsmithError as e:
        if isinstance(e, ProviderError) and not e.permanent:
            # The job finished and is paid for: a hiccup while downloading it is retried by polling
            # again, never by throwing the job away and paying for a new one.
            log.warning("fetch of scene %s failed transiently: %s", scene_id, e.message)
            rt.dispatch.poll_scene(scene_id, e.retry_after_s or POLL_ERROR_DELAY_S)
            return
        handle_failure(rt, scene_id, f"could not use the finished clip: {e.message}", permanent=False)
        return
    joined = False
    with rt.db.write() as session:
        scene = session.get(Scene, scene_id)
        if scene is None:
            return
        # Lock the variant first so that concurrent finishers serialise and the last one sees all.
        variant = session.scalars(
            select(Variant).where(Variant.id == scene.variant_id).with_for_update()
        ).one()
        if scene.status not in IN_FLIGHT or scene.provider_job_id != job_id:
            return
        gen = variant.generation
        scene.clip_asset_id = add_asset(session, user_id, gen_id, "clip", clip).id
        scene.thumbnail_asset_id = add_asset(session, user_id, gen_id, "thumbnail", thumb).id
        scene.status = "completed"
        scene.progress = 1.0
        scene.error_message = None
        scene.completed_at = scene.updated_at = utcnow()
        session.execute(
            update(ProviderCall)
            .where(ProviderCall.scene_id == scene_id, ProviderCall.external_id == job_id)
            .values(status="succeeded")
        )
        session.flush()
        done = (
            session.scalar(
                select(func.count())
                .select_from(Scene)
                .where(Scene.variant_id == variant.id, Scene.status == "completed")
            )
            or 0
        )
        variant.scenes_completed = done
        refresh_cost(session, gen)
        variant.updated_at = utcnow()
        record_event(
            session,
            gen_id,
            "scene",
            {"index": index, "status": "completed", "provider": provider, "asset_id": scene.clip_asset_id},
        )
        start, end = CLIPS_START.get(gen.mode, 65), step_def(gen.mode, "clips").progress
        total = max(1, variant.total_scenes)
        set_progress(
            session, gen_id, start + (end - start) * done // total, f"Generated {done} of {total} clips"
        )
        joined = _join(session, variant.id)
    if joined:
        rt.dispatch.advance(gen_id)


def _join(session: Session, variant_id: str) -> bool:
    """Move the variant to stitching if no scene is unfinished; True only for the one caller that did."""
    unfinished = exists().where(Scene.variant_id == variant_id, Scene.status != "completed")
    result = session.execute(
        update(Variant)
        .where(Variant.id == variant_id, Variant.status == "rendering", ~unfinished)
        .values(status="stitching", updated_at=utcnow())
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def handle_failure(rt: Runtime, scene_id: str, reason: str, *, permanent: bool) -> None:
    """Retry the scene, fail over to the next provider, or fail the generation with the reason."""
    retry = False
    with rt.db.write() as session:
        scene = session.get(Scene, scene_id)
        if scene is None:
            return
        session.scalars(select(Variant).where(Variant.id == scene.variant_id).with_for_update()).one()
        if scene.status not in ("submitting", *IN_FLIGHT):
            return
        gen = scene.variant.generation
        provider = scene.provider or "local"
        session.execute(
            update(ProviderCall)
            .where(ProviderCall.id == _latest_submit(session, scene.id).id)
            .values(status="failed", error_message=reason[:2000])
        )
        tries_here = (
            session.scalar(
                select(func.count())
                .select_from(ProviderCall)
                .where(
                    ProviderCall.scene_id == scene.id,
                    ProviderCall.provider == provider,
                    ProviderCall.operation == "submit",
                )
            )
            or 0
        )
        chain = video_chain(rt, gen)
        following = chain[chain.index(provider) + 1 :] if provider in chain else []
        scene.provider_job_id = None
        scene.error_message = reason if reason.startswith(f"{provider}") else f"{provider}: {reason}"
        scene.updated_at = utcnow()
        if not permanent and tries_here < rt.settings.clip_attempts:
            scene.status, retry = "pending", True
        elif following:
            scene.status, scene.provider, retry = "pending", following[0], True
        else:
            scene.status = "failed"
        record_event(
            session,
            gen.id,
            "scene",
            {
                "index": scene.index,
                "status": "retrying" if retry else "failed",
                "provider": scene.provider,
                "error": reason,
            },
        )
        if not retry and not restore_previous(session, gen, scene, reason):
            fail_generation(session, gen.id, f"{scene_label(scene)} failed: {reason}")
    if retry:
        rt.dispatch.submit_scene(scene_id)


def webhook_received(rt: Runtime, provider: str, token: str) -> bool:
    """A provider says a job ended: poll it now. False when the token names no call of `provider`.

    The payload is not trusted: the poll asks the provider itself, so a forged call costs one poll.
    """
    with rt.db.read() as session:
        call = session.scalars(
            select(ProviderCall).where(ProviderCall.webhook_token == token, ProviderCall.provider == provider)
        ).first()
        if call is None or call.scene_id is None:
            return False
        scene = session.get(Scene, call.scene_id)
        in_flight = (
            scene is not None and scene.status in IN_FLIGHT and scene.provider_job_id == call.external_id
        )
    if in_flight and call.scene_id:
        rt.dispatch.poll_scene(call.scene_id)
    return True


def cancel_provider_jobs(rt: Runtime, jobs: list[tuple[str, str]]) -> int:
    """Ask providers to stop jobs nobody wants any more (best effort); returns how many were asked."""
    from reelsmith.providers.base import CancellableVideoModel

    asked = 0
    for provider, job_id in jobs:
        model = rt.providers.video(provider)
        if not isinstance(model, CancellableVideoModel):
            continue
        try:
            model.cancel(job_id)
            asked += 1
        except ReelsmithError as e:
            log.warning("could not cancel %s job %s: %s", provider, job_id, e.message)
    return asked
