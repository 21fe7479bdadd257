"""Uploads and asset downloads (with HTTP Range, so players can seek)."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from reelsmith.assets.access import visible_asset
from reelsmith.db.models import Asset
from reelsmith.errors import InvalidInput, TooLarge
from reelsmith.generations.uploads import store_upload
from reelsmith.server.deps import MaybePrincipal, ReadSession, RuntimeDep, UserDep
from reelsmith.server.streaming import stream_asset

router = APIRouter(prefix="/api", tags=["assets"])
CHUNK = 1 << 20


class AssetRead(BaseModel):
    """An asset's facts."""

    id: str
    kind: str
    content_type: str
    bytes: int
    sha256: str
    width: int | None
    height: int | None
    duration_s: float | None
    fps: float | None
    generation_id: str | None
    created_at: datetime
    url: str


def asset_read(asset: Asset) -> dict[str, Any]:
    """The AssetRead fields."""
    return {
        "id": asset.id,
        "kind": asset.kind,
        "content_type": asset.content_type,
        "bytes": asset.bytes,
        "sha256": asset.sha256,
        "width": asset.width,
        "height": asset.height,
        "duration_s": asset.duration_s,
        "fps": asset.fps,
        "generation_id": asset.generation_id,
        "created_at": asset.created_at,
        "url": f"/api/assets/{asset.id}",
    }


@router.post("/uploads", status_code=201, response_model=AssetRead)
def upload(
    request: Request,
    file: Annotated[UploadFile, File(description="An image, audio or video file.")],
    user: UserDep,
    rt: RuntimeDep,
) -> dict[str, Any]:
    """Store an uploaded image, song or video; its type is decided by its content."""
    request.app.state.upload_limiter.hit(user.id)
    limit = rt.settings.max_upload_mb * 1024 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise TooLarge(f"file: larger than the {rt.settings.max_upload_mb} MB limit")
    fd, name = tempfile.mkstemp(dir=rt.settings.scratch_dir, prefix="upload-")
    path = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := file.file.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"file: larger than the {rt.settings.max_upload_mb} MB limit")
                out.write(chunk)
        if size == 0:
            raise InvalidInput("file", "is empty")
        return asset_read(store_upload(rt, user.id, path))
    finally:
        path.unlink(missing_ok=True)


@router.get("/assets/{asset_id}/info", response_model=AssetRead)
def asset_info(asset_id: str, session: ReadSession, viewer: MaybePrincipal) -> dict[str, Any]:
    """The asset's facts (type, size, dimensions, duration)."""
    return asset_read(visible_asset(session, asset_id, viewer.user if viewer else None))


@router.get("/assets/{asset_id}", response_class=Response)
def asset_file(
    asset_id: str, session: ReadSession, viewer: MaybePrincipal, request: Request, rt: RuntimeDep
) -> Response:
    """The file itself; honours a single `Range: bytes=a-b` with 206."""
    asset = visible_asset(session, asset_id, viewer.user if viewer else None)
    return stream_asset(rt, asset, request.headers.get("range"), head=request.method == "HEAD")
