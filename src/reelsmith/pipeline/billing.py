"""What a generation costs in tokens, and giving back what was not delivered."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.db.documents import GenerationParams
from reelsmith.db.models import Generation, ProviderCall, Scene, Step, Variant
from reelsmith.errors import Conflict
from reelsmith.pipeline.modes import REVIEW_GATE, is_held
from reelsmith.vocabulary import (
    CLIP_PRICE,
    IMAGE_PRICE,
    STITCH_PRICE,
    CallStatus,
    GenerationStatus,
    Mode,
    SceneStatus,
    price_of,
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


def scene_count(session: Session, generation_id: str) -> int:
    """How many scenes the generation has, over all its variants."""
    count = session.scalar(
        select(func.count()).select_from(Scene).join(Variant).where(Variant.generation_id == generation_id)
    )
    return count or 0


def awaits_review(session: Session, generation_id: str) -> bool:
    """Whether the generation's clips are held until its owner approves the storyboard."""
    row = session.get(Step, (generation_id, REVIEW_GATE))
    return row is not None and is_held(row.output)


def clips_to_render(session: Session, gen: Generation) -> int:
    """Clips the generation still has to make (and a retry to charge for).

    None while its storyboard awaits approval: approval charges for the scenes as they then stand.
    Once scenes are written their rows are counted, since a reviewed storyboard may have gained or
    lost scenes since the request; before that, the request says how many there will be.
    """
    if awaits_review(session, gen.id):
        return 0
    planned = scene_count(session, gen.id) or planned_clips(gen.mode, gen.inputs)
    return max(0, planned - completed_clips(session, gen.id))


def charge_approval(session: Session, gen: Generation, clips: int) -> int:
    """Charge an approved storyboard's `clips` (402 if the balance is short); returns the price.

    Keyed per generation, so an approval is paid once even if two requests race past the status
    check; the one that finds the key taken is refused.
    """
    price = price_of(gen.mode, clips)
    charged = ledger.charge(
        session,
        gen.user_id,
        price,
        f"charge:{gen.id}:approved",
        generation_id=gen.id,
        note="approved storyboard",
    )
    if price and not charged:
        raise Conflict("this storyboard was already approved and charged")
    gen.tokens_charged += price
    gen.update_state(paid_clips=clips)
    return price


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
