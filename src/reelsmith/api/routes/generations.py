"""Generations: create, list, read, follow live, cancel, retry, regenerate a scene, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import func, select

from reelsmith.api.deps import GenerationDep, GenerationIdDep, ReadSession, RuntimeDep, UserDep
from reelsmith.api.events import event_stream
from reelsmith.db.models import Generation, LedgerEntry, ProviderCall, Scene, Variant
from reelsmith.errors import NotFound
from reelsmith.generations import lifecycle
from reelsmith.generations.listing import ListFilter, list_generations
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, generation_json, generation_summary
from reelsmith.runtime import Runtime

router = APIRouter(prefix="/api", tags=["generations"])

Status = Literal["queued", "processing", "completed", "failed", "canceled"]
ModeFilter = Literal["story", "video", "image", "music_video", "ad_clone"]


class GenerationPage(BaseModel):
    """One page of generations."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def _fresh(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """The generation as it is now (a new read, after a change made in another transaction)."""
    with rt.db.read() as session:
        gen = session.get(Generation, generation_id)
        if gen is None:
            raise NotFound(f"generation not found: {generation_id}")
        return generation_json(rt, session, gen)


@router.post("/generations", status_code=202)
def create(body: GenerationCreate, user: UserDep, rt: RuntimeDep, request: Request) -> JSONResponse:
    """Accept a generation (charging its tokens) and start it; poll or follow its events."""
    request.app.state.generation_limiter.hit(user.id)
    generation_id = create_generation(rt, user.id, body)
    data = _fresh(rt, generation_id)
    data.pop("conversation", None)
    return JSONResponse(
        status_code=202,
        content=data,
        headers={"Location": f"/api/generations/{generation_id}"},
    )


@router.get("/generations", response_model=GenerationPage)
def list_mine(
    user: UserDep,
    session: ReadSession,
    rt: RuntimeDep,
    status: Status | None = None,
    mode: ModeFilter | None = None,
    q: str | None = Query(default=None, max_length=200),
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    limit: int = Query(default=20, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=500),
) -> dict[str, Any]:
    """My generations, newest first, with filters and a keyset cursor."""
    flt = ListFilter(None if user.is_admin else user.id, status, mode, q, created_after, created_before)
    rows, next_cursor = list_generations(session, flt, limit, cursor)
    return {"items": [_list_item(g) for g in rows], "next_cursor": next_cursor}


def _list_item(gen: Generation) -> dict[str, Any]:
    """A light row for lists (no joins): what a gallery card needs."""
    return {
        **generation_summary(gen),
        "url": f"/api/generations/{gen.id}",
        "thumbnail_url": f"/api/generations/{gen.id}/thumbnail" if gen.status == "completed" else None,
    }


@router.get("/library", response_model=GenerationPage)
def library(
    user: UserDep,
    session: ReadSession,
    mode: ModeFilter | None = None,
    q: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=20, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=500),
) -> dict[str, Any]:
    """My completed generations."""
    rows, next_cursor = list_generations(session, ListFilter(user.id, "completed", mode, q), limit, cursor)
    return {"items": [_list_item(g) for g in rows], "next_cursor": next_cursor}


@router.get("/generations/{generation_id}")
def detail(gen: GenerationDep, session: ReadSession, rt: RuntimeDep) -> dict[str, Any]:
    """The generation with variants, scenes, assets, steps, timings, cost and the writer conversation."""
    return generation_json(rt, session, gen)


@router.get("/generations/{generation_id}/thumbnail")
def thumbnail(gen: GenerationDep, session: ReadSession, rt: RuntimeDep) -> Response:
    """Redirect to the poster of the generation's main variant."""
    data = generation_json(rt, session, gen)
    if not data["thumbnail_url"]:
        return JSONResponse(status_code=404, content={"detail": "this generation has no thumbnail yet"})
    return Response(status_code=307, headers={"Location": data["thumbnail_url"]})


@router.get("/generations/{generation_id}/events")
def events(
    generation_id: GenerationIdDep,
    rt: RuntimeDep,
    request: Request,
    last_event_id: int | None = Query(default=None, ge=0),
) -> StreamingResponse:
    """Server-sent events: progress, step, scene, done/failed; resumes after `Last-Event-ID`."""
    header = request.headers.get("last-event-id", "")
    start = last_event_id if last_event_id is not None else (int(header) if header.isdigit() else 0)
    return StreamingResponse(
        event_stream(rt, generation_id, start, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/generations/{generation_id}/cancel", status_code=202)
def cancel(gen: GenerationDep, rt: RuntimeDep) -> dict[str, Any]:
    """Cancel: no further submissions; unrendered clips are refunded."""
    lifecycle.cancel(rt, gen.id)
    return _fresh(rt, gen.id)


@router.post("/generations/{generation_id}/retry", status_code=202)
def retry(gen: GenerationDep, rt: RuntimeDep) -> dict[str, Any]:
    """Resume a failed or canceled generation at its first unfinished step."""
    lifecycle.retry(rt, gen.id)
    return _fresh(rt, gen.id)


@router.post("/scenes/{scene_id}/regenerate", status_code=202)
def regenerate(scene_id: str, user: UserDep, rt: RuntimeDep) -> dict[str, Any]:
    """Re-render one scene and re-stitch (one clip's tokens)."""
    generation_id = lifecycle.regenerate_scene(rt, scene_id, user.id, is_admin=user.is_admin)
    return _fresh(rt, generation_id)


@router.delete("/generations/{generation_id}", status_code=204)
def delete(gen: GenerationDep, rt: RuntimeDep) -> Response:
    """Delete the generation, its rows and its files."""
    lifecycle.delete_generation(rt, gen.id)
    return Response(status_code=204)


@router.get("/stats")
def stats(user: UserDep, session: ReadSession) -> dict[str, Any]:
    """Counts by status and mode, clips, seconds rendered, tokens spent and cost."""
    mine = Generation.user_id == user.id
    by_status = dict(
        session.execute(select(Generation.status, func.count()).where(mine).group_by(Generation.status)).all()
    )
    by_mode = dict(
        session.execute(select(Generation.mode, func.count()).where(mine).group_by(Generation.mode)).all()
    )
    clips, seconds = session.execute(
        select(func.count(), func.coalesce(func.sum(Scene.duration_s), 0.0))
        .select_from(Scene)
        .join(Variant)
        .join(Generation)
        .where(mine, Scene.status == "completed")
    ).one()
    spent = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.user_id == user.id, LedgerEntry.reason.in_(("charge", "refund"))
        )
    )
    cost = session.scalar(
        select(func.coalesce(func.sum(ProviderCall.cost_usd), 0.0)).join(Generation).where(mine)
    )
    return {
        "generations": sum(by_status.values()),
        "by_status": by_status,
        "by_mode": by_mode,
        "clips": int(clips),
        "seconds_rendered": round(float(seconds), 3),
        "tokens_spent": -int(spent or 0),
        "cost_usd": round(float(cost or 0.0), 4),
    }
