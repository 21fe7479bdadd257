"""Public pages: the Explore feed, creator profiles, and share links with their media."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from reelsmith.errors import NotFound
from reelsmith.feed import service as feed
from reelsmith.feed.shares import resolve_token
from reelsmith.server.deps import ReadSession, RuntimeDep, base_url
from reelsmith.server.streaming import stream_asset
from reelsmith.web.loaders import PAGE_SIZE, shared_video
from reelsmith.web.session import MaybeViewer
from reelsmith.web.templating import render

router = APIRouter()
Cursor = Annotated[str, Query(max_length=500)]


def _pages(path: str, cursor: str, next_cursor: str | None) -> dict[str, str | None]:
    return {
        "next_url": f"{path}?{urlencode({'cursor': next_cursor})}" if next_cursor else None,
        "first_url": path if cursor else None,
    }


@router.get("/explore")
def explore(request: Request, viewer: MaybeViewer, session: ReadSession, cursor: Cursor = "") -> Response:
    """Everyone's published videos, newest first; they play muted while on screen."""
    items, next_cursor = feed.feed_page(
        session, viewer.user.id if viewer else None, PAGE_SIZE, cursor or None
    )
    context = {"items": items, **_pages("/explore", cursor, next_cursor)}
    return render(request, "explore.html", context, viewer=viewer, nav="explore")


@router.get("/u/{username}")
def profile(
    username: str, request: Request, viewer: MaybeViewer, session: ReadSession, cursor: Cursor = ""
) -> Response:
    """A creator's published work."""
    user, items, next_cursor = feed.user_page(
        session, username, viewer.user.id if viewer else None, PAGE_SIZE, cursor or None
    )
    context = {
        "profile": user,
        "published": feed.published_count(session, user.id),
        "is_me": viewer is not None and viewer.user.id == user.id,
        "items": items,
        **_pages(f"/u/{user.username}", cursor, next_cursor),
    }
    return render(request, "profile.html", context, viewer=viewer)


@router.get("/s/{token}")
def share_page(
    token: str, request: Request, viewer: MaybeViewer, session: ReadSession, rt: RuntimeDep
) -> Response:
    """The public page of a share link, with Open Graph tags for link previews."""
    link = resolve_token(session, rt.settings.signing_key, token)
    shared = shared_video(session, link)
    gen = shared.generation
    root = base_url(rt, request).rstrip("/")
    video_path = f"/s/{token}/video" if shared.video else None
    poster_path = f"/s/{token}/poster" if shared.poster else None
    context = {
        "title": gen.title or gen.prompt[:80],
        "description": (gen.caption or gen.prompt)[:300],
        "caption": gen.caption,
        "prompt": gen.prompt,
        "creator": shared.creator,
        "aspect": gen.inputs.aspect_ratio or "16:9",
        "expires_at": link.expires_at,
        "page_url": f"{root}/s/{token}",
        "video_path": video_path,
        "poster_path": poster_path,
        "video_url": f"{root}{video_path}" if video_path else None,
        "poster_url": f"{root}{poster_path}" if poster_path else None,
        "width": shared.video.width if shared.video else None,
        "height": shared.video.height if shared.video else None,
    }
    return render(request, "share.html", context, viewer=viewer)


@router.api_route("/s/{token}/{kind}", methods=["GET", "HEAD"])
def share_media(
    token: str, kind: Literal["video", "poster"], request: Request, session: ReadSession, rt: RuntimeDep
) -> Response:
    """The shared video or its poster, streamed with Range support while the link is live."""
    shared = shared_video(session, resolve_token(session, rt.settings.signing_key, token))
    asset = shared.video if kind == "video" else shared.poster
    if asset is None:
        raise NotFound(f"this share has no {kind}")
    return stream_asset(rt, asset, request.headers.get("range"), head=request.method == "HEAD")
