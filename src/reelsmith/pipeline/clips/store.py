"""Recording the job a provider made for a scene's submission, once, whoever finds it first, and what
that job cost once its clip is in."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from reelsmith.db.models import ProviderCall, Scene, utcnow
from reelsmith.pipeline.clips.submissions import SUBMIT
from reelsmith.pipeline.progress import record_event
from reelsmith.providers.fitting import fitted_duration
from reelsmith.providers.pricing import delivered_clip_cost
from reelsmith.vocabulary import CallStatus, SceneStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)


def store_job(rt: Runtime, scene_id: str, call_id: int, provider: str, external_id: str) -> bool:
    """Record the provider's job id on the scene and its call; True if this task moved the scene on."""
    with rt.db.write() as session:
        stored = session.execute(
            update(Scene)
            .where(
                Scene.id == scene_id, Scene.status == SceneStatus.SUBMITTING, Scene.provider_job_id.is_(None)
            )
            .values(status=SceneStatus.SUBMITTED, provider_job_id=external_id, updated_at=utcnow())
        )
        call = session.get(ProviderCall, call_id)
        if call is not None:
            call.external_id = external_id
            call.status = CallStatus.SUBMITTED
            call.sent_at = call.uncertain_at = None
        if stored.rowcount != 1:  # type: ignore[attr-defined]
            return False
        scene = session.get(Scene, scene_id)
        assert scene is not None
        record_event(
            session,
            scene.variant.generation_id,
            "scene",
            {"index": scene.index, "status": SceneStatus.SUBMITTED, "provider": provider},
        )
        return True


def bill_delivered(rt: Runtime, scene_id: str, job_id: str, delivered_s: float) -> float | None:
    """Record the job's cost from the seconds of video it delivered where the model bills by them and
    that length is not the one asked for; the new cost, or None when the submit-time estimate stands."""
    with rt.db.write() as session:
        call = session.scalars(
            select(ProviderCall)
            .where(
                ProviderCall.scene_id == scene_id,
                ProviderCall.external_id == job_id,
                ProviderCall.operation == SUBMIT,
            )
            .order_by(ProviderCall.id.desc())
            .limit(1)
        ).first()
        scene = session.get(Scene, scene_id)
        if call is None or scene is None:
            return None
        # The length the estimate was made for: the scene's, fitted to the model as at submit.
        asked = fitted_duration(rt.providers.entry(call.provider, "video"), scene.duration_s)
        cost = delivered_clip_cost(
            call.provider,
            call.model,
            asked,
            delivered_s,
            prices=rt.settings.prices,
            catalogue=rt.providers.catalogue,
        )
        if cost is None or cost == call.cost_usd:
            return None
        log.info(
            "%s job %s delivered %.2f s where %.2f s was asked: its cost is $%.4f, not $%.4f",
            call.provider, job_id, delivered_s, asked, cost, call.cost_usd,
        )  # fmt: skip
        call.cost_usd = cost
        return cost
