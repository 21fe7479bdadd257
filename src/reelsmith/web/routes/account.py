"""Sign-in, sign-up and settings pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from reelsmith.api.deps import ReadSession, RuntimeDep
from reelsmith.web import account as data
from reelsmith.web.session import MaybeViewer, SignedIn, Viewer
from reelsmith.web.templating import render

router = APIRouter()


def safe_next(value: str | None, default: str = "/create") -> str:
    """A same-site path to go to after signing in (never another host)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


@router.get("/login")
def login_page(request: Request, viewer: MaybeViewer, next: str | None = None) -> Response:
    """The sign-in form."""
    target = safe_next(next)
    if viewer is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", {"next": target})


@router.get("/signup")
def signup_page(request: Request, viewer: MaybeViewer, rt: RuntimeDep, next: str | None = None) -> Response:
    """The sign-up form."""
    target = safe_next(next)
    if viewer is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "signup.html", {"next": target, "signup_tokens": rt.settings.signup_tokens})


@router.get("/settings")
def settings_page(request: Request, viewer: SignedIn, session: ReadSession) -> Response:
    """Balance, token history and API keys."""
    user = data.fresh_user(session, viewer.user)
    me = Viewer(user, viewer.csrf_token)
    context = {"ledger": data.recent_ledger(session, user.id), "keys": data.api_keys(session, user.id)}
    return render(request, "settings.html", context, viewer=me, nav="settings")
