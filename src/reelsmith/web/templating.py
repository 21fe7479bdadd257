"""The Jinja2 environment (autoescaping on), its filters, and the page renderer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reelsmith import __version__
from reelsmith.accounts.service import signups_open
from reelsmith.db.models import utcnow
from reelsmith.vocabulary import vocabulary_data

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def ago(value: datetime | None) -> str:
    """A short relative time: "just now", "5 min ago", "3 h ago", "2 d ago", or the date."""
    if value is None:
        return ""
    seconds = (utcnow() - value).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)} d ago"
    return value.strftime("%d %b %Y")


def duration(value: float | None) -> str:
    """Seconds as "0:07" / "1:05", or "" when unknown."""
    if value is None:
        return ""
    total = round(value)
    return f"{total // 60}:{total % 60:02d}"


def seconds(value: float | None) -> str:
    """A processing time: "8.4 s", "2 min 5 s"."""
    if value is None:
        return "—"
    if value < 60:
        return f"{value:.1f} s"
    return f"{int(value // 60)} min {int(value % 60)} s"


def static_url(path: str) -> str:
    """The URL of a packaged static file, versioned so upgrades bust caches."""
    return f"/static/{path}?v={__version__}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(ago=ago, duration=duration, seconds=seconds)
    # The page scripts read the vocabulary from the page (base.html) instead of keeping copies.
    env.globals.update(static=static_url, version=__version__, vocabulary=vocabulary_data())
    return env


ENV = _environment()


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    viewer: Any = None,
    status_code: int = 200,
    nav: str = "",
) -> HTMLResponse:
    """Render a page template with the viewer (and its CSRF token) available to the layout."""
    # The layout offers sign-up only where the server accepts it.
    signup_open = signups_open(request.app.state.runtime.settings)
    html = ENV.get_template(name).render(
        request_path=request.url.path, viewer=viewer, nav=nav, signup_open=signup_open, **context
    )
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
