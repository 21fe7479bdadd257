"""Who is looking at a page: the cookie session's user and its CSRF token, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from reelsmith.db.models import User
from reelsmith.errors import LoginRequired
from reelsmith.server.deps import MaybePrincipal


@dataclass(frozen=True)
class Viewer:
    """A signed-in user as the page layout needs them."""

    user: User
    csrf_token: str

    @property
    def username(self) -> str:
        """The user's name."""
        return self.user.username


def page_viewer(principal: MaybePrincipal) -> Viewer | None:
    """The signed-in viewer, if any (pages are GETs, so no CSRF check applies here)."""
    if principal is None:
        return None
    return Viewer(principal.user, principal.csrf_token)


MaybeViewer = Annotated[Viewer | None, Depends(page_viewer)]


def signed_in(request: Request, viewer: MaybeViewer) -> Viewer:
    """The viewer, or a redirect to sign in and come back."""
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return viewer


SignedIn = Annotated[Viewer, Depends(signed_in)]
