"""What a generation costs in tokens, and giving back what was not delivered."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.db.models import Generation, ProviderCall, Scene, Variant
from reelsmith.vocabulary import CLIP_PRICE, IMAGE_PRICE


def run_number(gen: Generation) -> int:
    """Which run of the generation this is (a retry starts a new run, with its own charge)."""
    return int(gen.params.get("run", 1))


def planned_clips(mode: str, params: dict[str, Any]) -> int:
    """How many clips a generation makes in all: one per scene, of every variant for ad clones."""
    if mode == "image":
        return 0
    if mode == "video":
        return 1
    per_variant = int(params.get("scene_count", 0))
    return per_variant * len(params.get("variants", ())) if mode == "ad_clone" else per_variant


def refund_undelivered(session: Session, gen: Generation) -> int:
    """Refund the tokens of this run that bought nothing (once per run); returns the amount."""
    if gen.tokens_charged <= 0:
        return 0
    if gen.mode == "image":
        amount = IMAGE_PRICE if gen.status != "completed" else 0
    else:
        paid_for = int(gen.params.get("paid_clips", 0))
        done = (
            session.scalar(
                select(func.count())
                .select_from(Scene)
                .join(Variant)
                .where(Variant.generation_id == gen.id, Scene.status == "completed")
            )
            or 0
        )
        delivered_before = int(gen.params.get("clips_delivered_before_run", 0))
        amount = max(0, paid_for - max(0, done - delivered_before)) * CLIP_PRICE
    if amount and ledger.refund(
        session,
        gen.user_id,
        amount,
        f"refund:{gen.id}:{run_number(gen)}",
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
            ProviderCall.generation_id == gen.id, ProviderCall.status != "failed"
        )
    )
    gen.cost_usd = round(float(total or 0.0), 6)
    return gen.cost_usd
