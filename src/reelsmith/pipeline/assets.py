"""Putting produced files into the blob store and describing them as asset rows.

A re-render stores its files under new keys (see `storage.keys`) and the rows it replaces are
released: deleted in the same transaction that points the scene or variant at the new rows, while
their blobs are deleted only once that transaction has committed (and only if no row names them any
more). Until then the old URL keeps serving the old bytes that its size and hash describe.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from reelsmith.db.models import Asset
from reelsmith.errors import InvalidInput

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

# Where a write transaction collects the storage keys of the asset rows it released.
_RELEASED_KEYS = "reelsmith.released_blob_keys"


@dataclass(frozen=True)
class StoredBlob:
    """A file now in the blob store, with the facts an asset row records."""

    key: str
    content_type: str
    bytes: int
    sha256: str
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    fps: float | None = None
    loudness: dict[str, Any] | None = None  # a clip's meter (media.stitch.meter.ClipMeter.to_json)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def store_video(rt: Runtime, key: str, path: Path) -> StoredBlob:
    """Store an MP4 and probe it."""
    from reelsmith.media.probe import probe

    info = probe(path)
    size = rt.blobs.put_file(key, path, "video/mp4")
    return StoredBlob(
        key, "video/mp4", size, sha256_of(path), info.width, info.height, info.duration_s, info.fps
    )


def store_image(rt: Runtime, key: str, path: Path, content_type: str, size_px: tuple[int, int]) -> StoredBlob:
    """Store a still image."""
    size = rt.blobs.put_file(key, path, content_type)
    return StoredBlob(key, content_type, size, sha256_of(path), size_px[0], size_px[1])


def add_asset(
    session: Session,
    user_id: str,
    generation_id: str | None,
    kind: str,
    blob: StoredBlob,
    asset_id: str | None = None,
) -> Asset:
    """Insert the asset row for a stored blob and return it (with its id)."""
    asset = Asset(
        user_id=user_id,
        **({"id": asset_id} if asset_id else {}),
        generation_id=generation_id,
        kind=kind,
        storage_key=blob.key,
        content_type=blob.content_type,
        bytes=blob.bytes,
        sha256=blob.sha256,
        width=blob.width,
        height=blob.height,
        duration_s=blob.duration_s,
        fps=blob.fps,
        loudness=blob.loudness,
    )
    session.add(asset)
    session.flush()
    return asset


def release_asset(session: Session, generation_id: str, asset_id: str | None) -> None:
    """Delete a replaced asset row of the generation; its blob goes after the transaction commits.

    Only the generation's own products are released: a stitch job's scenes hold the user's uploads.
    """
    asset = session.get(Asset, asset_id) if asset_id else None
    if asset is None or asset.generation_id != generation_id:
        return
    released: set[str] = session.info.setdefault(_RELEASED_KEYS, set())
    released.add(asset.storage_key)
    session.delete(asset)


class ReleasedBlobSweeper:
    """A commit hook of the runtime's database: deletes the blobs that a committed write released."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def __call__(self, info: Mapping[str, Any]) -> None:
        """Delete each released blob that no asset row names (what cannot be deleted now, with the
        bucket away, is tried again later; a stray file is the worst outcome)."""
        from reelsmith.pipeline.unrecorded import discard_unrecorded

        released = info.get(_RELEASED_KEYS)
        if released:
            discard_unrecorded(self.rt, released)


def sweep_released_blobs(rt: Runtime) -> None:
    """Make sure the runtime's write transactions delete the blobs they release (installed once)."""
    hooks = rt.db.commit_hooks
    if not any(isinstance(hook, ReleasedBlobSweeper) and hook.rt is rt for hook in hooks):
        hooks.append(ReleasedBlobSweeper(rt))


def owned_upload(
    session: Session,
    user_id: str,
    asset_id: str | None,
    *,
    field: str,
    kind: str,
    missing: str,
    noun: str | None = None,
) -> Asset:
    """The user's own timed upload of ``kind`` ("audio", "video") named by ``field``, else a 4xx naming it."""
    if not asset_id:
        raise InvalidInput(field, missing)
    asset = session.get(Asset, asset_id)
    if asset is None or asset.user_id != user_id:
        raise InvalidInput(field, f"no such asset: {asset_id}")
    if not asset.content_type.startswith(f"{kind}/") or not asset.duration_s:
        raise InvalidInput(field, f"asset {asset_id} is not {noun or f'a {kind}'}")
    return asset
