"""Scheduled publishing: a generation published at a set time, and the task that makes it public then.

A scheduled generation is stored as `visibility = scheduled` with `published_at` at the chosen time;
nothing shows it to anyone but its owner until then. When it is published, a queue task is scheduled
for that moment. The queue keeps scheduled tasks in its shared store (Redis or the queue's SQLite
file), so whichever worker is up at that time runs it, and a worker restart loses nothing. The task
publishes every scheduled generation that is due with one conditional UPDATE: any number of workers
may run it at once, and one run catches up on whatever another missed. A worker whose clock is a
little behind finds nothing due yet and looks again at the next due time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, utcnow
from reelsmith.errors import InvalidInput
from reelsmith.feed.cards import card_media
from reelsmith.vocabulary import Visibility

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

# How far ahead a publish may be scheduled.
MAX_AHEAD = timedelta(days=365)
# A due time this close (or past) publishes at once instead of being scheduled.
_NOW_WINDOW = timedelta(seconds=1)
# A run that finds the next due time this close schedules itself again for it (clock skew between
# the server that took the request and the worker that runs the task).
_LOOK_AGAIN = timedelta(minutes=5)


@runtime_checkable
class PublishQueue(Protocol):
    """A dispatcher that can run the publishing task at a given time (the queue's can)."""

    def publish_due_at(self, at: datetime) -> None:
        """Enqueue `publish_due` to run at `at`."""
        ...


def check_time(at: datetime, now: datetime) -> datetime:
    """`at` as an aware UTC time within MAX_AHEAD; a time without a zone is read as UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=now.tzinfo)
    if at > now + MAX_AHEAD:
        raise InvalidInput("at", f"must be within {MAX_AHEAD.days} days")
    return at.astimezone(now.tzinfo)


def is_due(at: datetime, now: datetime) -> bool:
    """Whether a publish at `at` should happen now rather than be scheduled."""
    return at <= now + _NOW_WINDOW


def queue_publish(rt: Runtime, at: datetime) -> None:
    """Have the queue publish what is due at `at` (nothing to queue when tasks run inline)."""
    if isinstance(rt.dispatch, PublishQueue):
        rt.dispatch.publish_due_at(at)
    else:
        log.warning("no queue to publish at %s; run a server or worker for scheduled publishing", at)


def publish_due(rt: Runtime) -> int:
    """Publish every scheduled generation whose time has come; returns how many."""
    now = utcnow()
    with rt.db.write() as session:
        published = session.execute(
            update(Generation)
            .where(Generation.visibility == Visibility.SCHEDULED, Generation.published_at <= now)
            .values(visibility=Visibility.PUBLISHED, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        upcoming = session.scalar(
            select(func.min(Generation.published_at)).where(Generation.visibility == Visibility.SCHEDULED)
        )
    if published:
        log.info("published %d scheduled generation(s)", published)
    if upcoming is not None:
        upcoming = upcoming if upcoming.tzinfo else upcoming.replace(tzinfo=now.tzinfo)
        if upcoming <= now + _LOOK_AGAIN:
            queue_publish(rt, max(upcoming, now + _NOW_WINDOW))
    return int(published or 0)


@dataclass(frozen=True)
class ScheduledItem:
    """A generation waiting for its publish time, as the Drafts page lists it."""

    id: str
    title: str
    at: datetime
    poster_url: str | None


def scheduled_items(session: Session, user_id: str, limit: int = 50) -> list[ScheduledItem]:
    """The user's scheduled generations, soonest first."""
    rows = list(
        session.scalars(
            select(Generation)
            .where(Generation.user_id == user_id, Generation.visibility == Visibility.SCHEDULED)
            .order_by(Generation.published_at, Generation.id)
            .limit(limit)
        )
    )
    media = card_media(session, rows)
    return [
        ScheduledItem(g.id, g.title or g.prompt, g.published_at or g.updated_at, media[g.id].poster_url)
        for g in rows
    ]


def scheduled_at(session: Session, generation_id: str) -> datetime | None:
    """When a scheduled generation goes public (None unless it is scheduled)."""
    return session.scalar(
        select(Generation.published_at).where(
            Generation.id == generation_id, Generation.visibility == Visibility.SCHEDULED
        )
    )
