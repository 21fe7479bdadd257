"""What a generation costs in tokens, and giving back what was not delivered."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.db.documents import GenerationParams
from reelsmith.db.models import Generation, ProviderCall, Scene, Variant
from reelsmith.vocabulary import (
    CLIP_PRICE,
    IMAGE_PRICE,
    STITCH_PRICE,
    CallStatus,
    GenerationStatus,
    Mode,
    SceneStatus,
)


def run_number(gen: Generation) -> int:
    """Which run of the generation this is (a retry starts a new run, with its own charge)."""
    return gen.state.run


def planned_clips(mode: str, inputs: GenerationParams) -> int:
    """How many clips a generation makes in all: one per scene, of every variant for ad clones.

    A stitch job makes none but joins one per asset it names (all of them present from the start).
    """
    if mode == Mode.IMAGE:
        return 0
    if mode == Mode.VIDEO:
        return 1
    if mode == Mode.STITCH:
        return len(inputs.asset_ids)
    per_variant = inputs.scene_count
    return per_variant * len(inputs.variants) if mode == Mode.AD_CLONE else per_variant


def completed_clips(session: Session, generation_id: str) -> int:
    """How many of the generation's scenes have their clip."""
    count = session.scalar(
        select(func.count())
        .select_from(Scene)
        .join(Variant)
        .where(Variant.generation_id == generation_id, Scene.status == SceneStatus.COMPLETED)
    )
    return count or 0


def refund_undelivered(session: Session, gen: Generation) -> int:
    """Refund the tokens of this run that bought nothing (once per run); returns the amount."""
    if gen.tokens_charged <= 0:
        return 0
    state = gen.state
    if gen.mode == Mode.IMAGE:
        amount = IMAGE_PRICE if gen.status != GenerationStatus.COMPLETED else 0
    elif gen.mode == Mode.STITCH:
        # Its scenes hold the user's clips from the start, so "completed scenes" says nothing about
        # what the run delivered: a stitch that did not complete delivered none of the joins it sold.
        amount = state.paid_clips * STITCH_PRICE if gen.status != GenerationStatus.COMPLETED else 0
    else:
        delivered = max(0, completed_clips(session, gen.id) - state.clips_delivered_before_run)
        amount = max(0, state.paid_clips - delivered) * CLIP_PRICE
    if amount and ledger.refund(
        session,
        gen.user_id,
        amount,
        f"refund:{gen.id}:{state.run}",
        generation_id=gen.id,
        note=f"{gen.status}: undelivered work",
    ):
        return amount
    return 0


def refresh_cost(session: Session, gen: Generation) -> float:
    """Set the generation's `cost_usd` to the sum of its billable provider calls."""
    session.flush()
    total = session.scalar(
        select(func.coalesce(func.sum(ProviderCall.cost_usd), 0.0)).where(
            ProviderCall.generation_id == gen.id, ProviderCall.status != CallStatus.FAILED
        )
    )
    gen.cost_usd = round(float(total or 0.0), 6)
    return gen.cost_usd
