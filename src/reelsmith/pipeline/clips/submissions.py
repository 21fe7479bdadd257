"""A scene's recorded submissions (provider_calls rows): the latest one, and how many went to a provider."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.db.models import ProviderCall
from reelsmith.errors import ReelsmithError

SUBMIT = "submit"  # the operation of a clip submission's call


def latest_submit(session: Session, scene_id: str) -> ProviderCall:
    """The scene's most recent submission call (the one its current attempt recorded)."""
    call = session.scalars(
        select(ProviderCall)
        .where(ProviderCall.scene_id == scene_id, ProviderCall.operation == SUBMIT)
        .order_by(ProviderCall.id.desc())
        .limit(1)
    ).first()
    if call is None:
        raise ReelsmithError(f"scene {scene_id} is submitting but has no recorded call", code="pipeline")
    return call


def submits_to(session: Session, scene_id: str, provider: str) -> int:
    """How many attempts of the scene were submitted to `provider`."""
    count = session.scalar(
        select(func.count())
        .select_from(ProviderCall)
        .where(
            ProviderCall.scene_id == scene_id,
            ProviderCall.provider == provider,
            ProviderCall.operation == SUBMIT,
        )
    )
    return count or 0
