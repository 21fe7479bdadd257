"""The one place errors become responses: `{"detail": ...}` JSON for the API, HTML for browser pages.

Domain errors carry everything their answer needs (status, code, extra fields, headers, a page to
redirect to), so the handlers here never ask which class they hold. The HTML itself is drawn by the
page renderer the app factory hands in, so this module imports nothing from the web package.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelsmith.errors import ReelsmithError

log = logging.getLogger(__name__)

# Paths that are not browser pages: they always answer errors as JSON (or plain HTTP).
NOT_PAGES = ("/api/", "/static/", "/healthz", "/metrics", "/openapi.json", "/docs", "/redoc")

PageRenderer = Callable[[Request, int, str], Response]


def is_page(request: Request) -> bool:
    """Whether the request is for a browser page (not the API, static files or tooling)."""
    return not request.url.path.startswith(NOT_PAGES)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form", "cookie")]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI, render_page: PageRenderer) -> None:
    """Register the handlers on `app`; `render_page(request, status, message)` draws error pages."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _field(e.get("loc", ())), "message": e.get("msg", "invalid")} for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "request", "message": "invalid"}
        detail = f"{first['field']}: {first['message']}"
        if is_page(request):
            return render_page(request, 422, detail)
        return JSONResponse(status_code=422, content={"detail": detail, "errors": errors})

    @app.exception_handler(ReelsmithError)
    async def _domain(request: Request, exc: ReelsmithError) -> Response:
        if exc.http_status >= 500:
            log.error("request failed: %s", exc.message)
        if not is_page(request):
            content = {"detail": exc.message, "code": exc.code, **exc.extra}
            return JSONResponse(status_code=exc.http_status, content=content, headers=exc.headers)
        if exc.page_redirect is not None:
            return RedirectResponse(exc.page_redirect, status_code=303)
        # Server-side failures are logged above; the page does not show their internals.
        message = exc.message if exc.http_status < 500 else "Please try again in a moment."
        page = render_page(request, exc.http_status, message)
        page.headers.update(exc.headers)
        return page

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_page(request):
            return JSONResponse(
                status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers
            )
        message = "We couldn't find that page." if exc.status_code == 404 else str(exc.detail)
        return render_page(request, exc.status_code, message)
