"""Error pages: how an error looks to someone browsing (the server's error handler decides when)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from reelsmith.web.templating import render

TITLES = {
    400: "That request didn't work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Nothing here",
    409: "Not right now",
    410: "This link has expired",
    422: "That didn't look right",
}


def error_page(request: Request, status: int, message: str) -> Response:
    """The HTML error page."""
    title = TITLES.get(status, "Something went wrong")
    return render(
        request, "error.html", {"status": status, "title": title, "message": message}, status_code=status
    )
