"""Turning a user's file into an asset."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from reelsmith.errors import InvalidInput
from reelsmith.pipeline.assets import add_asset, store_image
from reelsmith.storage import keys

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

IMAGE_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}


def store_reference_image(rt: Runtime, user_id: str, path: Path) -> str:
    """Store an image file as the user's upload; the type is decided by its content, not its name."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            fmt, size = img.format or "", img.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise InvalidInput("image", f"{path.name} is not a readable image") from e
    if fmt not in IMAGE_FORMATS:
        raise InvalidInput("image", f"{path.name} is {fmt or 'unknown'}; expected PNG, JPEG or WebP")
    ext, content_type = IMAGE_FORMATS[fmt]
    asset_id = str(uuid.uuid4())
    blob = store_image(rt, keys.upload(asset_id, ext), path, content_type, size)
    with rt.db.write() as session:
        asset = add_asset(session, user_id, None, "upload", blob, asset_id)
        return asset.id
