"""Turning a user's file into an asset; what it is comes from its content, never its name."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from reelsmith.errors import UnsupportedMedia
from reelsmith.generations.upload_types import sniff
from reelsmith.pipeline.assets import StoredBlob, add_asset, sha256_of
from reelsmith.storage import keys

if TYPE_CHECKING:
    from reelsmith.db.models import Asset
    from reelsmith.runtime import Runtime


def store_upload(rt: Runtime, user_id: str, path: Path, *, expect: str | None = None) -> Asset:
    """Store a local file as the user's upload; `expect` ("image", "audio", "video") rejects other kinds."""
    found = sniff(path)
    if expect is not None and found.kind != expect:
        raise UnsupportedMedia(f"{path.name} is {found.kind}; expected {expect}")
    asset_id = str(uuid.uuid4())
    key = keys.upload(asset_id, found.ext)
    size = rt.blobs.put_file(key, path, found.content_type)
    blob = StoredBlob(
        key, found.content_type, size, sha256_of(path), found.width, found.height, found.duration_s, found.fps
    )
    with rt.db.write() as session:
        return add_asset(session, user_id, None, f"upload_{found.kind}", blob, asset_id)


def store_reference_image(rt: Runtime, user_id: str, path: Path) -> str:
    """Store an image as the user's upload and return its asset id."""
    return store_upload(rt, user_id, path, expect="image").id
