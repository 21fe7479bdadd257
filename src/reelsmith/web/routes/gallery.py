"""The library (everything of mine) and drafts (everything not published, and what is scheduled)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from reelsmith.feed.scheduling import scheduled_items
from reelsmith.generations.listing import SORTS, ListFilter, Sort
from reelsmith.server.deps import ReadSession
from reelsmith.vocabulary import CREATIVE_MODES, MODE_LABELS, STATUS_LABELS, GenerationStatus
from reelsmith.web.loaders import cards_page
from reelsmith.web.session import SignedIn
from reelsmith.web.templating import render

router = APIRouter()

MODES = [(m.value, MODE_LABELS[m]) for m in CREATIVE_MODES]
STATUSES = [(s.value, STATUS_LABELS[s]) for s in GenerationStatus]
SORT_LABELS = {"newest": "Newest first", "oldest": "Oldest first", "slowest": "Longest to make",
               "fastest": "Quickest to make"}  # fmt: skip
Text = Annotated[str, Query(max_length=200)]
Cursor = Annotated[str, Query(max_length=500)]
DRAFT_TABS = [("", "All"), ("active", "In progress"), ("completed", "Ready"), ("failed", "Failed")]
DRAFT_STATUSES: dict[str, tuple[str, ...]] = {
    "active": (GenerationStatus.QUEUED, GenerationStatus.PROCESSING),
    "completed": (GenerationStatus.COMPLETED,),
    "failed": (GenerationStatus.FAILED, GenerationStatus.CANCELED),
}


def _pick(value: str, allowed: list[str] | tuple[str, ...]) -> str:
    """A filter value, or "" when it is not one we offer (pages never 422 on a stale link)."""
    return value if value in allowed else ""


def _urls(path: str, params: dict[str, str], cursor: str, next_cursor: str | None) -> dict[str, str | None]:
    kept = {k: v for k, v in params.items() if v}
    query = urlencode(kept)
    first = f"{path}?{query}" if query else path
    return {
        "next_url": f"{path}?{urlencode({**kept, 'cursor': next_cursor})}" if next_cursor else None,
        "first_url": first if cursor else None,
    }


@router.get("/library")
def library(
    request: Request,
    viewer: SignedIn,
    session: ReadSession,
    q: Text = "",
    mode: Text = "",
    status: Text = "",
    sort: Text = "",
    cursor: Cursor = "",
) -> Response:
    """A grid of my generations with search, filters, sort, paging and multi-delete."""
    mode = _pick(mode, [m for m, _ in MODES])
    status = _pick(status, [s for s, _ in STATUSES])
    order: Sort = sort if sort in SORTS else "newest"
    flt = ListFilter(viewer.user.id, status or None, mode or None, q.strip() or None)
    page = cards_page(session, flt, cursor or None, order, with_total=not cursor)
    params = {"q": q.strip(), "mode": mode, "status": status, "sort": order if order != "newest" else ""}
    context = {
        "cards": page.cards,
        "total": page.total,
        "filtered": any(params.values()),
        "f": {"q": q.strip(), "mode": mode, "status": status, "sort": order},
        "modes": MODES,
        "statuses": STATUSES,
        "sorts": list(SORT_LABELS.items()),
        **_urls("/library", params, cursor, page.next_cursor),
    }
    return render(request, "library.html", context, viewer=viewer, nav="library")


@router.get("/drafts")
def drafts(
    request: Request,
    viewer: SignedIn,
    session: ReadSession,
    status: Text = "",
    cursor: Cursor = "",
) -> Response:
    """Everything not published — pending, in progress, ready or failed — with the right actions."""
    status = _pick(status, [s for s, _ in DRAFT_TABS])
    flt = ListFilter(viewer.user.id, visibility="draft", statuses=DRAFT_STATUSES.get(status, ()))
    page = cards_page(session, flt, cursor or None)
    context = {
        "cards": page.cards,
        # Scheduled publishes wait here too, soonest first, each cancellable (the first page only).
        "scheduled": [] if cursor else scheduled_items(session, viewer.user.id),
        "status": status,
        "tabs": DRAFT_TABS,
        **_urls("/drafts", {"status": status}, cursor, page.next_cursor),
    }
    return render(request, "drafts.html", context, viewer=viewer, nav="drafts")
