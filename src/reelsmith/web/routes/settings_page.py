"""The settings page: balance, token history and API keys."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reelsmith.server.deps import ReadSession
from reelsmith.web.session import SignedIn, Viewer
from reelsmith.web.settings_data import settings_data
from reelsmith.web.templating import render

router = APIRouter()


@router.get("/settings")
def settings_page(request: Request, viewer: SignedIn, session: ReadSession) -> Response:
    """Balance, token history and API keys."""
    data = settings_data(session, viewer.user)
    # The layout shows the balance from the viewer, so it gets the freshly read user.
    me = Viewer(data.user, viewer.csrf_token)
    return render(
        request, "settings.html", {"ledger": data.ledger, "keys": data.keys}, viewer=me, nav="settings"
    )
