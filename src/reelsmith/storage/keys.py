"""The storage key layout, in one place."""

from __future__ import annotations


def scene_clip(generation_id: str, variant: str, index: int) -> str:
    """Key of a scene's clip."""
    return f"generations/{generation_id}/{variant}/scene_{index}.mp4"


def scene_thumbnail(generation_id: str, variant: str, index: int) -> str:
    """Key of a scene's poster frame."""
    return f"generations/{generation_id}/{variant}/scene_{index}_thumb.jpg"


def final_video(generation_id: str, variant: str) -> str:
    """Key of a variant's stitched video."""
    return f"generations/{generation_id}/{variant}/final.mp4"


def final_thumbnail(generation_id: str, variant: str) -> str:
    """Key of a variant's poster frame."""
    return f"generations/{generation_id}/{variant}/final_thumb.jpg"


def final_preview(generation_id: str, variant: str) -> str:
    """Key of a variant's animated hover preview."""
    return f"generations/{generation_id}/{variant}/final_preview.webp"


def generation_image(generation_id: str, index: int = 0) -> str:
    """Key of a quick-image generation's picture."""
    return f"generations/{generation_id}/image_{index}.png"


def generation_prefix(generation_id: str) -> str:
    """Prefix under which all of a generation's blobs live."""
    return f"generations/{generation_id}/"


def reference(asset_id: str) -> str:
    """Key of a character reference image."""
    return f"references/{asset_id}.png"


def upload(asset_id: str, ext: str) -> str:
    """Key of a user upload."""
    return f"uploads/{asset_id}.{ext}"
