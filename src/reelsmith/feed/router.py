"""HTTP API of publishing, the feed, likes, share links and public profiles."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from reelsmith.feed import service, shares
from reelsmith.feed.batch import run_batch
from reelsmith.feed.schemas import (
    BatchItem,
    BatchRequest,
    BatchResult,
    FeedItem,
    FeedPage,
    LikeState,
    PublishRequest,
    PublishState,
    ShareCreate,
    ShareRead,
)
from reelsmith.server.deps import (
    GenerationDep,
    MaybePrincipal,
    ReadSession,
    RuntimeDep,
    UserDep,
    base_url,
)

router = APIRouter(prefix="/api", tags=["feed"])

Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=50)]


class ProfilePage(BaseModel):
    """A creator and one page of their published work."""

    username: str
    published: int
    items: list[FeedItem]
    next_cursor: str | None


@router.post("/generations/batch", response_model=BatchResult)
def batch(body: BatchRequest, user: UserDep, rt: RuntimeDep) -> BatchResult:
    """Publish, unpublish or delete several of my generations; a result per id, each all-or-nothing."""
    results = run_batch(rt, user, body.action, body.ids, caption=body.caption, at=body.at)
    items = [BatchItem(**asdict(r)) for r in results]
    done = sum(1 for r in results if r.ok)
    return BatchResult(results=items, succeeded=done, failed=len(results) - done)


@router.post("/generations/{generation_id}/publish", response_model=PublishState)
def publish(gen: GenerationDep, rt: RuntimeDep, body: PublishRequest | None = None) -> dict[str, Any]:
    """Publish a completed generation to the feed (409 if it is not completed), now or at `at`."""
    return service.publish(rt, gen.id, body.caption if body else None, body.at if body else None)


@router.post("/generations/{generation_id}/unpublish", response_model=PublishState)
def unpublish(gen: GenerationDep, rt: RuntimeDep) -> dict[str, Any]:
    """Take a generation off the feed; it becomes a draft again."""
    return service.unpublish(rt, gen.id)


@router.get("/feed", response_model=FeedPage)
def feed(
    session: ReadSession, viewer: MaybePrincipal, cursor: Cursor = None, limit: Limit = 20
) -> dict[str, Any]:
    """Published generations of everyone, newest first, with creator, likes and whether I like each."""
    items, next_cursor = service.feed_page(session, viewer.user.id if viewer else None, limit, cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/users/{username}/generations", response_model=ProfilePage)
def user_generations(
    username: str, session: ReadSession, viewer: MaybePrincipal, cursor: Cursor = None, limit: Limit = 20
) -> dict[str, Any]:
    """A creator's published generations (never their drafts), newest first."""
    user, items, next_cursor = service.user_page(
        session, username, viewer.user.id if viewer else None, limit, cursor
    )
    return {
        "username": user.username,
        "published": service.published_count(session, user.id),
        "items": items,
        "next_cursor": next_cursor,
    }


@router.post("/generations/{generation_id}/like", response_model=LikeState)
def like(generation_id: str, user: UserDep, rt: RuntimeDep) -> dict[str, Any]:
    """Like a published generation (idempotent)."""
    return service.like(rt, user.id, generation_id)


@router.delete("/generations/{generation_id}/like", response_model=LikeState)
def unlike(generation_id: str, user: UserDep, rt: RuntimeDep) -> dict[str, Any]:
    """Take my like back (idempotent)."""
    return service.unlike(rt, user.id, generation_id)


@router.post("/generations/{generation_id}/share", status_code=201, response_model=ShareRead)
def share(
    gen: GenerationDep, user: UserDep, rt: RuntimeDep, request: Request, body: ShareCreate | None = None
) -> dict[str, Any]:
    """A signed public link to this (completed) generation that expires after `expires_in` seconds."""
    link = shares.create_share(rt, gen.id, user.id, (body or ShareCreate()).expires_in)
    return shares.share_read(rt.settings.signing_key, link, base_url(rt, request))


@router.get("/generations/{generation_id}/shares", response_model=list[ShareRead])
def list_shares(
    gen: GenerationDep, session: ReadSession, rt: RuntimeDep, request: Request
) -> list[dict[str, Any]]:
    """The generation's share links, newest first (revoked and expired ones included)."""
    root = base_url(rt, request)
    return [shares.share_read(rt.settings.signing_key, s, root) for s in shares.list_shares(session, gen.id)]


@router.delete("/shares/{share_id}", status_code=204)
def revoke_share(share_id: str, user: UserDep, rt: RuntimeDep) -> Response:
    """Turn a share link off; its URL answers 410 from now on."""
    shares.revoke_share(rt, share_id, user.id, is_admin=user.is_admin)
    return Response(status_code=204)
