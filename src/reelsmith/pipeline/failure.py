"""Ending a generation that cannot finish: a reason for the user and nothing left in flight."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, Scene, Step, Variant, utcnow
from reelsmith.pipeline.billing import refresh_cost, refund_undelivered
from reelsmith.pipeline.progress import record_event
from reelsmith.vocabulary import (
    TERMINAL_STATUSES,
    UNFINISHED_SCENES,
    GenerationStatus,
    SceneStatus,
    StepStatus,
    VariantStatus,
)

# Variants that keep their own ending when the generation ends.
_ENDED_VARIANTS = (VariantStatus.COMPLETED, VariantStatus.FAILED)


def fail_generation(
    session: Session, generation_id: str, reason: str, *, status: GenerationStatus = GenerationStatus.FAILED
) -> bool:
    """Mark the generation failed (or canceled) with `reason`; False if it had already ended."""
    gen = session.get(Generation, generation_id, with_for_update=True, populate_existing=True)
    if gen is None or gen.status in TERMINAL_STATUSES:
        return False
    now = utcnow()
    gen.status = status
    gen.error_message = reason
    gen.current_step = "Canceled" if status == GenerationStatus.CANCELED else "Failed"
    gen.completed_at = now
    gen.updated_at = now
    for variant in session.scalars(select(Variant).where(Variant.generation_id == generation_id)):
        if variant.status not in _ENDED_VARIANTS:
            variant.status = status
            variant.error_message = variant.error_message or reason
            variant.updated_at = now
        for scene in variant.scenes:
            if scene.status in UNFINISHED_SCENES:
                # Stops further submissions and polls; the scene keeps its own reason if it has one.
                scene.status = SceneStatus.CANCELED
                scene.updated_at = now
    for step in session.scalars(select(Step).where(Step.generation_id == generation_id)):
        if step.status == StepStatus.RUNNING:
            step.status = StepStatus.FAILED
            step.finished_at = now
    session.flush()
    refunded = refund_undelivered(session, gen)
    refresh_cost(session, gen)
    record_event(
        session,
        generation_id,
        "failed" if status == GenerationStatus.FAILED else "canceled",
        {"status": status, "error": reason, "refunded_tokens": refunded},
    )
    return True


def scene_label(scene: Scene) -> str:
    """How a scene is named in messages to the user (1-based)."""
    return f"Scene {scene.index + 1}"
