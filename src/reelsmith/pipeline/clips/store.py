"""Recording the job a provider made for a scene's submission, once, whoever finds it first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update

from reelsmith.db.models import ProviderCall, Scene, utcnow
from reelsmith.pipeline.progress import record_event
from reelsmith.vocabulary import CallStatus, SceneStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


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
