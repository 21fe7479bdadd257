"""Publishing and unpublishing, likes with exact counts, and the published timelines (feed, profiles)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, Like, User, utcnow
from reelsmith.errors import InvalidInput, NotFound, WrongState
from reelsmith.feed.cards import card_media
from reelsmith.feed.scheduling import check_time, is_due, queue_publish
from reelsmith.vocabulary import GenerationStatus, Visibility

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


def _state(gen: Generation) -> dict[str, Any]:
    return {
        "id": gen.id,
        "visibility": gen.visibility,
        "caption": gen.caption,
        "published_at": gen.published_at,
        "like_count": gen.like_count,
    }


def publish(
    rt: Runtime, generation_id: str, caption: str | None, at: datetime | None = None
) -> dict[str, Any]:
    """Make a completed generation public with an optional caption (409 unless completed).

    With `at` in the future it is scheduled instead: a draft to everyone else until then (see
    `feed.scheduling`), cancelled by unpublishing it.
    """
    now = utcnow()
    when = check_time(at, now) if at is not None else now
    scheduled = not is_due(when, now)
    with rt.db.write() as session:
        gen = session.get(Generation, generation_id, with_for_update=True)
        if gen is None:
            raise NotFound(f"generation not found: {generation_id}")
        if gen.status != GenerationStatus.COMPLETED:
            raise WrongState(f"generation is {gen.status}; only completed generations can be published")
        gen.visibility = Visibility.SCHEDULED if scheduled else Visibility.PUBLISHED
        gen.caption = (caption or "").strip() or None
        gen.published_at = when
        gen.updated_at = now
        state = _state(gen)
    if scheduled:
        queue_publish(rt, when)
    return state


def unpublish(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Take a generation back to drafts, or cancel its scheduled publish (its likes are kept)."""
    with rt.db.write() as session:
        gen = session.get(Generation, generation_id)
        if gen is None:
            raise NotFound(f"generation not found: {generation_id}")
        gen.visibility = Visibility.DRAFT
        gen.published_at = None
        gen.updated_at = utcnow()
        return _state(gen)


def _likeable(session: Session, generation_id: str, user_id: str) -> Generation:
    gen = session.get(Generation, generation_id)
    if gen is None or (gen.visibility != Visibility.PUBLISHED and gen.user_id != user_id):
        raise NotFound(f"generation not found: {generation_id}")
    if gen.visibility != Visibility.PUBLISHED:
        raise WrongState("only published generations can be liked")
    return gen


def _count(session: Session, generation_id: str) -> int:
    return int(session.scalar(select(Generation.like_count).where(Generation.id == generation_id)) or 0)


def like(rt: Runtime, user_id: str, generation_id: str) -> dict[str, Any]:
    """Like a published generation; liking twice changes nothing.

    The likes row and the counter move in one transaction, and the unique (user, generation) key lets
    only one of two racing requests insert, so the counter is exact.
    """
    with rt.db.write() as session:
        _likeable(session, generation_id, user_id)
        try:
            with session.begin_nested():
                session.add(Like(user_id=user_id, generation_id=generation_id))
                session.flush()
        except IntegrityError:
            pass  # already liked
        else:
            session.execute(
                update(Generation)
                .where(Generation.id == generation_id)
                .values(like_count=Generation.like_count + 1)
                .execution_options(synchronize_session=False)
            )
        return {"id": generation_id, "liked_by_me": True, "like_count": _count(session, generation_id)}


def unlike(rt: Runtime, user_id: str, generation_id: str) -> dict[str, Any]:
    """Take a like back; unliking what is not liked changes nothing."""
    with rt.db.write() as session:
        gen = session.get(Generation, generation_id)
        if gen is None or (gen.visibility != Visibility.PUBLISHED and gen.user_id != user_id):
            raise NotFound(f"generation not found: {generation_id}")
        removed = session.execute(
            delete(Like).where(Like.user_id == user_id, Like.generation_id == generation_id)
        ).rowcount  # type: ignore[attr-defined]
        if removed:
            session.execute(
                update(Generation)
                .where(Generation.id == generation_id)
                .values(like_count=Generation.like_count - removed)
                .execution_options(synchronize_session=False)
            )
        return {"id": generation_id, "liked_by_me": False, "like_count": _count(session, generation_id)}


def _encode(gen: Generation) -> str:
    stamp = (gen.published_at or gen.created_at).isoformat()
    return base64.urlsafe_b64encode(f"{stamp}|{gen.id}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, gen_id = raw.split("|", 1)
        return datetime.fromisoformat(stamp), gen_id
    except (binascii.Error, UnicodeDecodeError, ValueError) as e:
        raise InvalidInput("cursor", "not a cursor returned by this API") from e


def _published_page(
    session: Session, viewer_id: str | None, user_id: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    query = (
        select(Generation, User.username)
        .join(User, User.id == Generation.user_id)
        .where(Generation.visibility == Visibility.PUBLISHED)
    )
    if user_id is not None:
        query = query.where(Generation.user_id == user_id)
    if cursor:
        stamp, gen_id = _decode(cursor)
        query = query.where(
            or_(
                Generation.published_at < stamp,
                and_(Generation.published_at == stamp, Generation.id < gen_id),
            )
        )
    rows = list(
        session.execute(query.order_by(Generation.published_at.desc(), Generation.id.desc()).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    gens = [g for g, _ in rows]
    liked: set[str] = set()
    if viewer_id and gens:
        liked = set(
            session.scalars(
                select(Like.generation_id).where(
                    Like.user_id == viewer_id, Like.generation_id.in_([g.id for g in gens])
                )
            )
        )
    media = card_media(session, gens)
    items = [
        {
            "id": g.id,
            "mode": g.mode,
            "title": g.title,
            "prompt": g.prompt,
            "caption": g.caption,
            "aspect_ratio": g.inputs.aspect_ratio,
            "creator": {"username": name, "url": f"/u/{name}"},
            "like_count": g.like_count,
            "liked_by_me": g.id in liked,
            "published_at": g.published_at,
            "duration_s": media[g.id].duration_s,
            "video_url": media[g.id].video_url,
            "thumbnail_url": media[g.id].poster_url,
            "image_url": media[g.id].image_url,
        }
        for g, name in rows
    ]
    return items, (_encode(gens[-1]) if more and gens else None)


def feed_page(
    session: Session, viewer_id: str | None, limit: int = 20, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Published generations of everyone, newest first, with creator and like state for the viewer."""
    return _published_page(session, viewer_id, None, limit, cursor)


def find_user(session: Session, username: str) -> User:
    """The user called `username` (case-insensitive), or 404."""
    user = session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()
    if user is None:
        raise NotFound(f"user not found: {username}")
    return user


def user_page(
    session: Session, username: str, viewer_id: str | None, limit: int = 20, cursor: str | None = None
) -> tuple[User, list[dict[str, Any]], str | None]:
    """A user and their published generations, newest first."""
    user = find_user(session, username)
    items, next_cursor = _published_page(session, viewer_id, user.id, limit, cursor)
    return user, items, next_cursor


def published_count(session: Session, user_id: str) -> int:
    """How many generations the user has published."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Generation)
            .where(Generation.user_id == user_id, Generation.visibility == Visibility.PUBLISHED)
        )
        or 0
    )


def public_generation(session: Session, generation_id: str, viewer: User | None) -> Generation:
    """A generation the viewer may look at: their own (or any, for admins), or a published one."""
    gen = session.get(Generation, generation_id)
    if gen is None:
        raise NotFound(f"generation not found: {generation_id}")
    if gen.visibility == Visibility.PUBLISHED or (viewer and (viewer.id == gen.user_id or viewer.is_admin)):
        return gen
    raise NotFound(f"generation not found: {generation_id}")


def liked_by(session: Session, user_id: str | None, generation_id: str) -> bool:
    """Whether the user likes the generation."""
    if user_id is None:
        return False
    found = session.scalar(
        select(Like.id).where(Like.user_id == user_id, Like.generation_id == generation_id)
    )
    return found is not None
