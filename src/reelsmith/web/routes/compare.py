"""The compare page: two or more generations or ad-clone variants side by side, played in step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from reelsmith.generations.compare import MIN_ITEMS, compare, parse_ids
from reelsmith.server.deps import ReadSession, RuntimeDep
from reelsmith.web.session import MaybeViewer
from reelsmith.web.templating import render

router = APIRouter()


@router.get("/compare")
def compare_page(
    request: Request,
    viewer: MaybeViewer,
    session: ReadSession,
    rt: RuntimeDep,
    ids: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """`?ids=a,b` (a generation id, or `id:kind` for an ad-clone variant): videos, prompts, scores,
    timings and costs side by side, with one play/pause/seek driving every video."""
    found = compare(rt, session, parse_ids(ids), viewer.user if viewer else None)
    context = {"items": found.items, "hidden": found.hidden, "min_items": MIN_ITEMS}
    return render(request, "compare.html", context, viewer=viewer, nav="library" if viewer else "explore")
