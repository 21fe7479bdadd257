"""Acting on several of a user's generations at once: publish, unpublish or delete, each on its own.

Every item runs in its own transaction through the same service a single request uses, so each is
all-or-nothing and one item's failure (not found, not finished) leaves the others' results standing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from reelsmith.db.models import Generation, User
from reelsmith.errors import NotFound, ReelsmithError
from reelsmith.feed import service
from reelsmith.generations.lifecycle import delete_generation
from reelsmith.vocabulary import BatchAction

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

MAX_BATCH = 100


@dataclass(frozen=True)
class ItemResult:
    """What became of one id: `status` as HTTP would say it, and the visibility it was left with."""

    id: str
    ok: bool
    status: int
    detail: str | None = None
    visibility: str | None = None


def run_batch(
    rt: Runtime,
    user: User,
    action: BatchAction,
    ids: list[str],
    *,
    caption: str | None = None,
    at: datetime | None = None,
) -> list[ItemResult]:
    """Do `action` to each id in order and say how each went (someone else's id is not found)."""
    return [_one(rt, user, action, generation_id, caption, at) for generation_id in ids]


def _one(
    rt: Runtime, user: User, action: BatchAction, generation_id: str, caption: str | None, at: datetime | None
) -> ItemResult:
    try:
        _check_owner(rt, user, generation_id)
        if action == BatchAction.DELETE:
            delete_generation(rt, generation_id)
            return ItemResult(generation_id, True, 204)
        if action == BatchAction.PUBLISH:
            state = service.publish(rt, generation_id, caption, at)
        else:
            state = service.unpublish(rt, generation_id)
    except ReelsmithError as e:
        return ItemResult(generation_id, False, e.http_status, e.message)
    return ItemResult(generation_id, True, 200, visibility=str(state["visibility"]))


def _check_owner(rt: Runtime, user: User, generation_id: str) -> None:
    """404 for an id that is not the user's generation (admins may act on any)."""
    with rt.db.read() as session:
        owner = session.scalar(select(Generation.user_id).where(Generation.id == generation_id))
    if owner is None or (owner != user.id and not user.is_admin):
        raise NotFound(f"generation not found: {generation_id}")
