"""Gather what each page shows, from the domain services (so the page routes run no queries)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation, ShareLink, User, Variant
from reelsmith.errors import NotFound
from reelsmith.feed import service as feed
from reelsmith.feed.cards import card_media
from reelsmith.feed.shares import active_shares, share_read
from reelsmith.generations.listing import ListFilter, Sort, count_generations, list_generations
from reelsmith.generations.reading import read_generation
from reelsmith.pipeline.main_variant import main_of
from reelsmith.web.presenters import Card, card, generation_view

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime
    from reelsmith.web.session import Viewer

PAGE_SIZE = 24


@dataclass(frozen=True)
class CardPage:
    """One page of gallery cards."""

    cards: list[Card]
    next_cursor: str | None
    total: int | None = None


def cards_page(
    session: Session, flt: ListFilter, cursor: str | None, sort: Sort = "newest", *, with_total: bool = False
) -> CardPage:
    """Gallery cards for the filter, one page at a time."""
    rows, next_cursor = list_generations(session, flt, PAGE_SIZE, cursor, sort)
    media = card_media(session, rows)
    total = count_generations(session, flt) if with_total else None
    return CardPage([card(g, media[g.id]) for g in rows], next_cursor, total)


def generation_page(
    rt: Runtime, session: Session, generation_id: str, viewer: Viewer | None, base_url: str
) -> dict[str, Any]:
    """Everything the generation page shows; 404 for someone else's draft."""
    gen = feed.public_generation(session, generation_id, viewer.user if viewer else None)
    data = read_generation(rt, session, gen)
    owner = session.get(User, gen.user_id)
    is_owner = viewer is not None and (viewer.user.id == gen.user_id or viewer.user.is_admin)
    links = active_shares(session, gen.id) if is_owner else []
    slug = "".join(c if c.isalnum() else "-" for c in (gen.title or gen.mode).lower())[:40].strip("-")
    extension = "png" if data.image_url and not data.video_url else "mp4"
    return {
        "gen": data,
        "view": generation_view(data),
        "is_owner": is_owner,
        "creator": owner.username if owner else "unknown",
        "created_at": gen.created_at,
        "caption": gen.caption,
        "gen_like_count": gen.like_count,
        "liked": feed.liked_by(session, viewer.user.id if viewer else None, gen.id),
        "shares": [share_read(rt.settings.signing_key, s, base_url) for s in links],
        "download_name": f"{slug or 'reelsmith'}.{extension}",
    }


@dataclass(frozen=True)
class SharedVideo:
    """What a share page plays."""

    link: ShareLink
    generation: Generation
    creator: str
    video: Asset | None
    poster: Asset | None


def shared_video(session: Session, link: ShareLink) -> SharedVideo:
    """The generation and files behind a live share link."""
    gen = session.get(Generation, link.generation_id)
    if gen is None:
        raise NotFound("this share link does not exist (any more)")
    owner = session.get(User, gen.user_id)
    variants = list(session.scalars(select(Variant).where(Variant.generation_id == gen.id)))
    variant = main_of(gen.state.best_variant, variants, lambda v: v.kind)
    video = session.get(Asset, variant.video_asset_id) if variant and variant.video_asset_id else None
    poster_id = (variant.thumbnail_asset_id if variant else None) or gen.state.image_asset_id
    poster = session.get(Asset, poster_id) if poster_id else None
    return SharedVideo(link, gen, owner.username if owner else "someone", video, poster)
