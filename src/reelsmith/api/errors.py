"""One place that turns errors into `{"detail": ...}` responses that name the field at fault."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelsmith.accounts.ledger import InsufficientTokens
from reelsmith.accounts.ratelimit import RateLimited
from reelsmith.errors import ReelsmithError

log = logging.getLogger(__name__)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form", "cookie")]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field(e.get("loc", ())), "message": e.get("msg", "invalid")} for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "request", "message": "invalid"}
        return JSONResponse(
            status_code=422, content={"detail": f"{first['field']}: {first['message']}", "errors": errors}
        )

    @app.exception_handler(ReelsmithError)
    async def _domain(request: Request, exc: ReelsmithError) -> JSONResponse:
        content: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        headers: dict[str, str] = {}
        if isinstance(exc, InsufficientTokens):
            content.update(balance=exc.balance, price=exc.price)
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after_s)
        if exc.http_status >= 500:
            log.error("request failed: %s", exc.message)
        return JSONResponse(status_code=exc.http_status, content=content, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": exc.detail}, headers=getattr(exc, "headers", None)
        )
