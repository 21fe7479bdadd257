"""Who is looking at a page: the cookie session's user and its CSRF token, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from reelsmith.api.deps import RuntimeDep, optional_principal
from reelsmith.db.models import User
from reelsmith.errors import ReelsmithError


class LoginRequired(ReelsmithError):
    """The page needs a signed-in user; pages answer it with a redirect to the sign-in page."""

    code = "login_required"
    http_status = 401

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in to see this page")
        self.next_path = next_path

    @property
    def login_url(self) -> str:
        """Where to send the browser."""
        return f"/login?next={quote(self.next_path, safe='/')}"


@dataclass(frozen=True)
class Viewer:
    """A signed-in user as the page layout needs them."""

    user: User
    csrf_token: str

    @property
    def username(self) -> str:
        """The user's name."""
        return self.user.username


def page_viewer(request: Request, rt: RuntimeDep) -> Viewer | None:
    """The signed-in viewer, if any (pages are GETs, so no CSRF check applies here)."""
    principal = optional_principal(request, rt)
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
