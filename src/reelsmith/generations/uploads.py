"""Turning a user's file into an asset (what it is comes from its content, never its name), the
storage quota the uploads count against, and deleting an upload no generation uses."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation, User
from reelsmith.errors import Conflict, NotFound, TooLarge, UnsupportedMedia
from reelsmith.generations.upload_types import sniff
from reelsmith.pipeline.assets import StoredBlob, add_asset, sha256_of
from reelsmith.pipeline.unrecorded import discarded_on_failure
from reelsmith.storage import keys

if TYPE_CHECKING:
    from reelsmith.config import Settings
    from reelsmith.runtime import Runtime

# Every upload's asset kind starts so (`upload_image`, `upload_audio`, `upload_video`).
UPLOAD_KIND_PREFIX = "upload_"


def quota_bytes(settings: Settings) -> int:
    """What one user's uploads may occupy in storage."""
    return settings.upload_quota_mb * 1024 * 1024


def storage_used(session: Session, user_id: str) -> int:
    """Bytes the user's uploads occupy, summed in SQL."""
    total = session.scalar(
        select(func.coalesce(func.sum(Asset.bytes), 0)).where(
            Asset.user_id == user_id, Asset.kind.startswith(UPLOAD_KIND_PREFIX, autoescape=True)
        )
    )
    return int(total or 0)


def check_quota(rt: Runtime, user_id: str, incoming: int) -> None:
    """413 naming the quota when `incoming` more bytes would take the user's uploads over it."""
    with rt.db.read() as session:
        _within_quota(rt.settings, storage_used(session, user_id), incoming)


def _within_quota(settings: Settings, used: int, incoming: int) -> None:
    if used + incoming > quota_bytes(settings):
        raise TooLarge(
            f"file: would exceed your upload quota of {settings.upload_quota_mb} MB "
            f"({used} bytes used); delete uploads to make room"
        )


def store_upload(
    rt: Runtime, user_id: str, path: Path, *, expect: str | None = None, within_quota: bool = False
) -> Asset:
    """Store a local file as the user's upload; `expect` ("image", "audio", "video") rejects other kinds.

    `within_quota` counts the user's uploads again as the row is written, under the user's row lock:
    two uploads that each fit on their own, sent at once, cannot both be kept past the quota.
    """
    found = sniff(path)
    if expect is not None and found.kind != expect:
        raise UnsupportedMedia(f"{path.name} is {found.kind}; expected {expect}")
    asset_id = str(uuid.uuid4())
    key = keys.upload(asset_id, found.ext)
    size = rt.blobs.put_file(key, path, found.content_type)
    blob = StoredBlob(
        key, found.content_type, size, sha256_of(path), found.width, found.height, found.duration_s, found.fps
    )
    with discarded_on_failure(rt) as stored:
        stored.append(key)
        with rt.db.write() as session:
            if within_quota:
                session.get(User, user_id, with_for_update=True)  # one user's uploads, one at a time
                _within_quota(rt.settings, storage_used(session, user_id), size)
            return add_asset(session, user_id, None, f"{UPLOAD_KIND_PREFIX}{found.kind}", blob, asset_id)


def accept_upload(rt: Runtime, user_id: str, path: Path) -> Asset:
    """Store a file a user sent over HTTP, within their quota (the CLI's own files have none)."""
    check_quota(rt, user_id, path.stat().st_size)  # before storing anything, for the common case
    return store_upload(rt, user_id, path, within_quota=True)


def store_reference_image(rt: Runtime, user_id: str, path: Path) -> str:
    """Store an image as the user's upload and return its asset id."""
    return store_upload(rt, user_id, path, expect="image").id


def _used_by_a_generation(session: Session, asset_id: str) -> bool:
    """Whether any generation names the asset among its inputs.

    The inputs (reference images, song, source ad, stitched clips) are ids inside the params JSON; a
    match on its text finds them on SQLite and PostgreSQL alike, and an id is a UUID, so it matches
    nothing else.
    """
    params_text = cast(Generation.params, String)
    found = session.scalar(
        select(Generation.id).where(params_text.contains(asset_id, autoescape=True)).limit(1)
    )
    return found is not None


def delete_upload(rt: Runtime, user_id: str, asset_id: str) -> None:
    """Delete one of the user's uploads: the row first, then (once that committed) its blob.

    404 for anything that is not this user's upload; 409 while a generation still uses it as input.
    """
    with rt.db.write() as session:
        asset = session.get(Asset, asset_id)
        if asset is None or asset.user_id != user_id or not asset.kind.startswith(UPLOAD_KIND_PREFIX):
            raise NotFound(f"upload not found: {asset_id}")
        if _used_by_a_generation(session, asset_id):
            raise Conflict(f"upload {asset_id} is an input of a generation; delete the generation first")
        key = asset.storage_key
        session.delete(asset)
    # A blob without a row is only wasted space; a row without its blob would be a broken asset.
    rt.blobs.delete_prefix(key)
