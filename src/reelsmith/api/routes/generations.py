"""Generations: create, list, read, follow live, download whole, cancel, retry, regenerate a scene, delete,
and review a storyboard before rendering (edit, add, delete and reorder scenes, approve)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from reelsmith.api.events import event_stream
from reelsmith.api.schemas import NarrationEdit, SceneAdd, SceneEdit, SceneOrder
from reelsmith.generations import lifecycle, revoice, storyboard_review, versions
from reelsmith.generations.archive import ConversationFormat, export_conversation, plan_archive, zip_chunks
from reelsmith.generations.listing import ListFilter, list_generations
from reelsmith.generations.read_models import ConversationTurn, GenerationPage, GenerationRead
from reelsmith.generations.reading import list_item, read_fresh, read_generation
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation
from reelsmith.generations.stats import StatsRead, user_stats
from reelsmith.generations.storyboard_review import NewScene, SceneChanges
from reelsmith.generations.version_schemas import VersionEdit, VersionPage, VersionRead
from reelsmith.server.deps import GenerationDep, GenerationIdDep, ReadSession, RuntimeDep, UserDep
from reelsmith.vocabulary import GenerationStatus, Mode

router = APIRouter(prefix="/api", tags=["generations"])

# Event ids are 64-bit signed integers in the database.
_MAX_EVENT_ID = 2**63 - 1
_EVENT_ID = re.compile(r"[0-9]{1,19}")


@router.post("/generations", status_code=202, response_model=GenerationRead)
def create(body: GenerationCreate, user: UserDep, rt: RuntimeDep, request: Request) -> JSONResponse:
    """Accept a generation (charging its tokens) and start it; poll or follow its events."""
    request.app.state.generation_limiter.hit(user.id)
    generation_id = create_generation(rt, user.id, body)
    data = read_fresh(rt, generation_id).model_copy(update={"conversation": []})
    return JSONResponse(
        status_code=202,
        content=data.model_dump(mode="json"),
        headers={"Location": f"/api/generations/{generation_id}"},
    )


@router.get("/generations", response_model=GenerationPage)
def list_mine(
    user: UserDep,
    session: ReadSession,
    rt: RuntimeDep,
    status: GenerationStatus | None = None,
    mode: Mode | None = None,
    q: str | None = Query(default=None, max_length=200),
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    limit: int = Query(default=20, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=500),
) -> GenerationPage:
    """My generations, newest first, with filters and a keyset cursor."""
    flt = ListFilter(None if user.is_admin else user.id, status, mode, q, created_after, created_before)
    rows, next_cursor = list_generations(session, flt, limit, cursor)
    return GenerationPage(items=[list_item(g) for g in rows], next_cursor=next_cursor)


@router.get("/library", response_model=GenerationPage)
def library(
    user: UserDep,
    session: ReadSession,
    mode: Mode | None = None,
    q: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=20, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=500),
) -> GenerationPage:
    """My completed generations."""
    rows, next_cursor = list_generations(
        session, ListFilter(user.id, GenerationStatus.COMPLETED, mode, q), limit, cursor
    )
    return GenerationPage(items=[list_item(g) for g in rows], next_cursor=next_cursor)


@router.get("/generations/{generation_id}", response_model=GenerationRead)
def detail(gen: GenerationDep, session: ReadSession, rt: RuntimeDep) -> GenerationRead:
    """The generation with variants, scenes, assets, steps, timings, cost and the writer conversation."""
    return read_generation(rt, session, gen)


@router.get("/generations/{generation_id}/thumbnail")
def thumbnail(gen: GenerationDep, session: ReadSession, rt: RuntimeDep) -> Response:
    """Redirect to the poster of the generation's main variant."""
    data = read_generation(rt, session, gen)
    if not data.thumbnail_url:
        return JSONResponse(status_code=404, content={"detail": "this generation has no thumbnail yet"})
    return Response(status_code=307, headers={"Location": data.thumbnail_url})


@router.get("/generations/{generation_id}/events")
def events(
    generation_id: GenerationIdDep,
    rt: RuntimeDep,
    request: Request,
    last_event_id: int | None = Query(default=None, ge=0, le=_MAX_EVENT_ID),
) -> StreamingResponse:
    """Server-sent events: progress, step, scene, done/failed; resumes after `Last-Event-ID`."""
    header = request.headers.get("last-event-id", "")
    # Browsers echo an id we sent (ASCII digits); anything else, or past the id column, counts as absent.
    from_header = int(header) if _EVENT_ID.fullmatch(header) and int(header) <= _MAX_EVENT_ID else 0
    start = last_event_id if last_event_id is not None else from_header
    return StreamingResponse(
        event_stream(rt, generation_id, start, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/generations/{generation_id}/archive",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "The generation as a ZIP."}},
)
def archive(generation_id: GenerationIdDep, rt: RuntimeDep) -> StreamingResponse:
    """A ZIP of the final videos, scene clips and posters, captions, the generation JSON and the
    writer conversation, written as it is sent."""
    plan = plan_archive(rt, generation_id)
    return StreamingResponse(
        zip_chunks(rt, plan),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{plan.filename}"'},
    )


@router.get(
    "/generations/{generation_id}/conversation",
    response_model=list[ConversationTurn],
    responses={200: {"content": {"text/markdown": {}}}},
)
def conversation(
    generation_id: GenerationIdDep,
    rt: RuntimeDep,
    fmt: Annotated[ConversationFormat, Query(alias="format")] = "json",
) -> Response:
    """The writer conversation alone: JSON turns (`format=json`) or Markdown to read (`format=md`)."""
    export = export_conversation(rt, generation_id, fmt)
    disposition = "attachment" if fmt == "md" else "inline"
    return Response(
        content=export.body,
        media_type=export.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{export.filename}"'},
    )


@router.post("/generations/{generation_id}/cancel", status_code=202, response_model=GenerationRead)
def cancel(gen: GenerationDep, rt: RuntimeDep) -> GenerationRead:
    """Cancel: no further submissions; unrendered clips are refunded."""
    lifecycle.cancel(rt, gen.id)
    return read_fresh(rt, gen.id)


@router.post("/generations/{generation_id}/retry", status_code=202, response_model=GenerationRead)
def retry(gen: GenerationDep, rt: RuntimeDep) -> GenerationRead:
    """Resume a failed or canceled generation at its first unfinished step."""
    lifecycle.retry(rt, gen.id)
    return read_fresh(rt, gen.id)


@router.post("/scenes/{scene_id}/regenerate", status_code=202, response_model=GenerationRead)
def regenerate(scene_id: str, user: UserDep, rt: RuntimeDep) -> GenerationRead:
    """Re-render one scene and re-stitch (one clip's tokens)."""
    generation_id = lifecycle.regenerate_scene(rt, scene_id, user.id, is_admin=user.is_admin)
    return read_fresh(rt, generation_id)


@router.post(
    "/generations/{generation_id}/scenes/{scene_id}/narration", status_code=202, response_model=GenerationRead
)
def revoice_scene(
    generation_id: str, scene_id: str, body: NarrationEdit, user: UserDep, rt: RuntimeDep
) -> GenerationRead:
    """Re-voice one scene of a finished narrated generation: its new line is spoken and mixed in again
    (the price table's `narration` charge; no clip is re-rendered; refunded if it fails)."""
    revoice.revoice_scene(
        rt, generation_id, scene_id, user.id, body.narration, body.voice, is_admin=user.is_admin
    )
    return read_fresh(rt, generation_id)


@router.delete("/generations/{generation_id}", status_code=204)
def delete(gen: GenerationDep, rt: RuntimeDep) -> Response:
    """Delete the generation, its rows and its files."""
    lifecycle.delete_generation(rt, gen.id)
    return Response(status_code=204)


@router.patch("/generations/{generation_id}/scenes/{scene_id}", response_model=GenerationRead)
def edit_scene(
    generation_id: str, scene_id: str, body: SceneEdit, user: UserDep, rt: RuntimeDep
) -> GenerationRead:
    """Change a scene of a storyboard awaiting approval (its prompt, length or on-screen text)."""
    changes = SceneChanges(**body.model_dump(exclude_unset=True))
    storyboard_review.edit_scene(rt, generation_id, user.id, scene_id, changes)
    return read_fresh(rt, generation_id)


@router.post("/generations/{generation_id}/scenes", status_code=201, response_model=GenerationRead)
def add_scene(generation_id: str, body: SceneAdd, user: UserDep, rt: RuntimeDep) -> GenerationRead:
    """Add a scene to a storyboard awaiting approval (at `index`, else at the end)."""
    storyboard_review.add_scene(rt, generation_id, user.id, NewScene(**body.model_dump()))
    return read_fresh(rt, generation_id)


@router.delete("/generations/{generation_id}/scenes/{scene_id}", response_model=GenerationRead)
def delete_scene(generation_id: str, scene_id: str, user: UserDep, rt: RuntimeDep) -> GenerationRead:
    """Remove a scene from a storyboard awaiting approval; the others are renumbered."""
    storyboard_review.delete_scene(rt, generation_id, user.id, scene_id)
    return read_fresh(rt, generation_id)


@router.post("/generations/{generation_id}/scenes/order", response_model=GenerationRead)
def reorder_scenes(generation_id: str, body: SceneOrder, user: UserDep, rt: RuntimeDep) -> GenerationRead:
    """Put a storyboard's scenes in the order of `ids`."""
    storyboard_review.reorder_scenes(rt, generation_id, user.id, body.ids)
    return read_fresh(rt, generation_id)


@router.post("/generations/{generation_id}/approve", status_code=202, response_model=GenerationRead)
def approve(generation_id: str, user: UserDep, rt: RuntimeDep) -> GenerationRead:
    """Approve a storyboard: charge its scenes' clips and render them."""
    storyboard_review.approve(rt, generation_id, user.id)
    return read_fresh(rt, generation_id)


@router.get("/generations/{generation_id}/versions", response_model=VersionPage)
def list_versions(gen: GenerationDep, rt: RuntimeDep) -> VersionPage:
    """Every version of the finished video, newest first; `current` marks the one that plays."""
    return VersionPage(items=versions.list_versions(rt, gen.id))


@router.post("/generations/{generation_id}/versions", status_code=202, response_model=VersionRead)
def edit_video(generation_id: str, body: VersionEdit, user: UserDep, rt: RuntimeDep) -> VersionRead:
    """Edit the finished video (text, trims, order, removals, transition, soundtrack, clips from
    uploads): a new version, re-stitched from the stored clips with no provider call, priced as a
    stitch of its clips. It plays once made; poll the versions for its status."""
    version_id = versions.edit(rt, generation_id, user.id, body)
    return versions.read_one(rt, version_id)


@router.post("/generations/{generation_id}/versions/{version_id}/restore", response_model=VersionRead)
def restore_version(generation_id: str, version_id: str, user: UserDep, rt: RuntimeDep) -> VersionRead:
    """Play an earlier version again (the player, library card and share links follow it)."""
    versions.restore(rt, generation_id, user.id, version_id)
    return versions.read_one(rt, version_id)


@router.get("/stats", response_model=StatsRead)
def stats(user: UserDep, session: ReadSession) -> StatsRead:
    """Counts by status and mode, clips, seconds rendered, tokens spent and cost."""
    return user_stats(session, user.id)
