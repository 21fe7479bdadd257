"""Error pages: the API keeps its JSON errors; browser pages get HTML (and a sign-in redirect)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelsmith.errors import ReelsmithError
from reelsmith.web.session import LoginRequired
from reelsmith.web.templating import render

Handler = Callable[[Request, Any], Response | Awaitable[Response]]
NOT_PAGES = ("/api/", "/static/", "/healthz", "/metrics", "/openapi.json", "/docs", "/redoc")

TITLES = {
    400: "That request didn't work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Nothing here",
    409: "Not right now",
    410: "This link has expired",
    422: "That didn't look right",
}


def is_page(request: Request) -> bool:
    """Whether the request is for a browser page (not the API, static files or tooling)."""
    return not request.url.path.startswith(NOT_PAGES)


def error_page(request: Request, status: int, message: str) -> Response:
    """The HTML error page."""
    title = TITLES.get(status, "Something went wrong")
    return render(
        request, "error.html", {"status": status, "title": title, "message": message}, status_code=status
    )


async def _call(handler: Handler, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


def install_page_errors(app: FastAPI) -> None:
    """Wrap the JSON handlers so that page requests get HTML instead."""
    json_domain: Handler = app.exception_handlers[ReelsmithError]
    json_http: Handler = app.exception_handlers[StarletteHTTPException]

    async def domain(request: Request, exc: Exception) -> Response:
        if not is_page(request) or not isinstance(exc, ReelsmithError):
            return await _call(json_domain, request, exc)
        if isinstance(exc, LoginRequired):
            return RedirectResponse(exc.login_url, status_code=303)
        message = exc.message if exc.http_status < 500 else "Please try again in a moment."
        return error_page(request, exc.http_status, message)

    async def http(request: Request, exc: Exception) -> Response:
        if not is_page(request) or not isinstance(exc, StarletteHTTPException):
            return await _call(json_http, request, exc)
        message = "We couldn't find that page." if exc.status_code == 404 else str(exc.detail)
        return error_page(request, exc.status_code, message)

    app.add_exception_handler(ReelsmithError, domain)
    app.add_exception_handler(StarletteHTTPException, http)
