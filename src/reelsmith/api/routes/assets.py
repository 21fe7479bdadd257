"""Uploads, their deletion, and asset downloads (with HTTP Range, so players can seek).

An upload's body is read only once the caller is known and allowed to send it: the route takes the raw
request and parses the multipart stream itself, writing the file to disk as it arrives.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from reelsmith.assets.access import visible_asset
from reelsmith.db.models import Asset, User
from reelsmith.errors import InvalidInput, TooLarge
from reelsmith.generations.uploads import accept_upload, check_quota, delete_upload
from reelsmith.runtime import Runtime
from reelsmith.server.body_limits import MULTIPART_OVERHEAD
from reelsmith.server.deps import MaybePrincipal, ReadSession, RuntimeDep, UserDep
from reelsmith.server.streaming import stream_asset

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter(prefix="/api", tags=["assets"])


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


# The request body as OpenAPI documents it: the route parses the stream itself, after authenticating.
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "An image, audio or video file.",
                    }
                },
            }
        }
    },
}


def upload_gate(request: Request, user: UserDep, rt: RuntimeDep) -> User:
    """The uploader, once allowed to send: within the rate limit and, by the declared size, within
    their quota. Runs before a byte of the body is read (the upload limit itself is the body cap's)."""
    request.app.state.upload_limiter.hit(user.id)
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        # The multipart framing is not stored; the exact size is checked again once the file is in.
        check_quota(rt, user.id, max(0, int(declared) - MULTIPART_OVERHEAD))
    return user


UploaderDep = Annotated[User, Depends(upload_gate)]


def upload_limit(rt: Runtime) -> int:
    """The largest file one upload may carry, in bytes."""
    return rt.settings.max_upload_mb * 1024 * 1024


@router.post(
    "/uploads", status_code=201, response_model=AssetRead, openapi_extra={"requestBody": UPLOAD_BODY}
)
async def upload(request: Request, user: UploaderDep, rt: RuntimeDep) -> dict[str, Any]:
    """Store an uploaded image, song or video (multipart field `file`); its type is decided by its content."""
    fd, name = tempfile.mkstemp(dir=rt.settings.scratch_dir, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            size = await receive_file(request, out, upload_limit(rt), f"{rt.settings.max_upload_mb} MB")
        if size == 0:
            raise InvalidInput("file", "is empty")
        return asset_read(await run_in_threadpool(accept_upload, rt, user.id, path))
    finally:
        path.unlink(missing_ok=True)


@router.delete("/uploads/{asset_id}", status_code=204)
def remove_upload(asset_id: str, user: UserDep, rt: RuntimeDep) -> Response:
    """Delete one of my uploads (409 while a generation uses it as an input)."""
    delete_upload(rt, user.id, asset_id)
    return Response(status_code=204)


async def receive_file(request: Request, out: BinaryIO, limit: int, limit_text: str) -> int:
    """Stream the multipart body into `out`, keeping only the `file` field; returns the file's size."""
    boundary = _boundary(request.headers.get("content-type", ""))
    part = FilePart(out, limit, limit_text)
    parser = MultipartParser(boundary, part.callbacks())
    try:
        async for chunk in request.stream():
            # The callbacks write to disk, which blocks: keep it off the event loop.
            await run_in_threadpool(parser.write, chunk)
        parser.finalize()
    except MultipartParseError as e:
        raise InvalidInput("file", "the body is not valid multipart/form-data") from e
    except ClientDisconnect as e:
        raise InvalidInput("file", "the upload stopped before its end") from e
    if not part.found:
        raise InvalidInput("file", "is missing: send the file in a multipart field named `file`")
    return part.size


def _boundary(content_type: str) -> bytes:
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary", b"")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidInput("file", "send the file as multipart/form-data")
    return boundary


class FilePart:
    """Multipart parser callbacks that write the first `file` field to `out` and count its bytes."""

    def __init__(self, out: BinaryIO, limit: int, limit_text: str) -> None:
        self.out = out
        self.limit = limit
        self.limit_text = limit_text
        self.size = 0
        self.found = False
        self._writing = False
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> MultipartCallbacks:
        """The callbacks, in the form python-multipart takes them."""
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._writing = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        # Other fields are skipped unread; a second `file` too, so one upload stores one file.
        self._writing = options.get(b"name") == b"file" and not self.found
        self.found = self.found or self._writing

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._writing:
            return
        self.size += end - start
        if self.size > self.limit:
            raise TooLarge(f"file: larger than the {self.limit_text} limit")
        self.out.write(data[start:end])


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
