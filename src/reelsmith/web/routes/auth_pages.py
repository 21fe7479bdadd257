"""The sign-in and sign-up pages (the forms post to the JSON auth API)."""

from __future__ import annotations

import unicodedata

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from reelsmith.accounts.service import invites_required, signups_open
from reelsmith.server.deps import RuntimeDep
from reelsmith.web.session import MaybeViewer
from reelsmith.web.templating import render

router = APIRouter()


def safe_next(value: str | None, default: str = "/create") -> str:
    """A same-site path to go to after signing in (never another host)."""
    # Browsers read a backslash as a slash ("/\\host" is "//host", another host) and drop tabs and
    # newlines ("/\t/host" too), so those never pass.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return default if any(_unsafe_char(ch) for ch in value) else value


def _unsafe_char(ch: str) -> bool:
    """Whitespace and control or invisible characters, which browsers drop or mangle in a URL."""
    return ch.isspace() or unicodedata.category(ch)[0] in "CZ"


@router.get("/login")
def login_page(request: Request, viewer: MaybeViewer, rt: RuntimeDep, next: str | None = None) -> Response:
    """The sign-in form (linking to sign-up only while sign-up is open)."""
    target = safe_next(next)
    if viewer is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", {"next": target, "signups_open": signups_open(rt.settings)})


@router.get("/signup")
def signup_page(request: Request, viewer: MaybeViewer, rt: RuntimeDep, next: str | None = None) -> Response:
    """The sign-up form (with an invite-code field when invitations are needed), or word that it is closed."""
    target = safe_next(next)
    if viewer is not None:
        return RedirectResponse(target, status_code=303)
    settings = rt.settings
    context = {
        "next": target,
        "signup_tokens": settings.signup_tokens,
        "signups_open": signups_open(settings),
        "invites_required": invites_required(settings),
    }
    return render(request, "signup.html", context)
