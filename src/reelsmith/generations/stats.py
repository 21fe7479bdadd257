"""A user's figures: generations by status and mode, clips and seconds rendered, tokens and cost."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, LedgerEntry, ProviderCall, Scene, Variant
from reelsmith.vocabulary import LedgerReason, SceneStatus


class StatsRead(BaseModel):
    """What one user has made and what it cost."""

    generations: int
    by_status: dict[str, int]
    by_mode: dict[str, int]
    clips: int
    seconds_rendered: float
    tokens_spent: int
    cost_usd: float


def user_stats(session: Session, user_id: str) -> StatsRead:
    """The user's figures, each counted by the database."""
    mine = Generation.user_id == user_id
    by_status = {
        str(status): int(count)
        for status, count in session.execute(
            select(Generation.status, func.count()).where(mine).group_by(Generation.status)
        )
    }
    by_mode = {
        str(mode): int(count)
        for mode, count in session.execute(
            select(Generation.mode, func.count()).where(mine).group_by(Generation.mode)
        )
    }
    clips, seconds = session.execute(
        select(func.count(), func.coalesce(func.sum(Scene.duration_s), 0.0))
        .select_from(Scene)
        .join(Variant)
        .join(Generation)
        .where(mine, Scene.status == SceneStatus.COMPLETED)
    ).one()
    spent = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.user_id == user_id,
            LedgerEntry.reason.in_((LedgerReason.CHARGE, LedgerReason.REFUND)),
        )
    )
    cost = session.scalar(
        select(func.coalesce(func.sum(ProviderCall.cost_usd), 0.0)).join(Generation).where(mine)
    )
    return StatsRead(
        generations=sum(by_status.values()),
        by_status=by_status,
        by_mode=by_mode,
        clips=int(clips),
        seconds_rendered=round(float(seconds), 3),
        # Charges are negative deltas and refunds positive, so their sum is minus what was spent.
        tokens_spent=-int(spent or 0),
        cost_usd=round(float(cost or 0.0), 4),
    )
