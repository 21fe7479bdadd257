"""Shaping one of our requests into what a provider accepts: durations, sizes, prompts, images.

Providers take a few fixed durations and frame sizes; these helpers pick the nearest allowed value
so every adapter rounds the same way, and turn reference images into the bytes, base64 or data URIs
each API wants.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path

from reelsmith.errors import ProviderError
from reelsmith.providers.base import ClipRequest

# Inline images travel in JSON bodies; beyond this size they are re-encoded smaller.
MAX_INLINE_BYTES = 3_500_000
MAX_INLINE_SIDE = 2048
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def nearest(value: float, allowed: Sequence[int]) -> int:
    """The allowed value closest to `value`; on a tie the longer one, so a scene is never cut short."""
    return min(allowed, key=lambda a: (abs(a - value), -a))


def clip_prompt(request: ClipRequest, *, with_negative: bool = True) -> str:
    """The scene description plus camera direction (and the negative prompt for APIs without one)."""
    prompt = request.prompt.strip()
    if request.camera:
        prompt += f" Camera: {request.camera.strip().rstrip('.')}."
    if with_negative and request.negative_prompt:
        prompt += f" Avoid: {request.negative_prompt.strip().rstrip('.')}."
    return prompt


def image_bytes(path: Path, *, provider: str) -> tuple[bytes, str]:
    """A reference image as (bytes, MIME type), re-encoded as JPEG when too big to send inline."""
    from PIL import Image, UnidentifiedImageError

    try:
        raw = Path(path).read_bytes()
        with Image.open(io.BytesIO(raw)) as img:
            fmt = img.format or ""
            if fmt in _MIME and len(raw) <= MAX_INLINE_BYTES and max(img.size) <= MAX_INLINE_SIDE:
                return raw, _MIME[fmt]
            small = img.convert("RGB")
            small.thumbnail((MAX_INLINE_SIDE, MAX_INLINE_SIDE))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=90)
            return out.getvalue(), "image/jpeg"
    except (OSError, UnidentifiedImageError) as e:
        raise ProviderError(f"{provider}: cannot read reference image {path}: {e}", permanent=True) from e


def image_base64(path: Path, *, provider: str) -> tuple[str, str]:
    """A reference image as (base64 text, MIME type)."""
    data, mime = image_bytes(path, provider=provider)
    return base64.b64encode(data).decode("ascii"), mime


def data_uri(path: Path, *, provider: str) -> str:
    """A reference image as a `data:` URI, for APIs that take an image URL."""
    b64, mime = image_base64(path, provider=provider)
    return f"data:{mime};base64,{b64}"


def fitted_png(path: Path, size: tuple[int, int], *, provider: str) -> bytes:
    """The image scaled and centre-cropped to exactly `size`, as PNG (APIs that demand the frame size)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            fitted = ImageOps.fit(img.convert("RGB"), size)
    except (OSError, UnidentifiedImageError) as e:
        raise ProviderError(f"{provider}: cannot read reference image {path}: {e}", permanent=True) from e
    out = io.BytesIO()
    fitted.save(out, "PNG")
    return out.getvalue()


def save_png(data: bytes, dest: Path, *, provider: str) -> None:
    """Write image bytes to `dest` as PNG, converting other formats with Pillow."""
    from PIL import Image, UnidentifiedImageError

    from reelsmith.providers.http import write_atomic

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format == "PNG":
                write_atomic(dest, data)
                return
            out = io.BytesIO()
            img.save(out, "PNG")
    except (OSError, UnidentifiedImageError) as e:
        # A garbled download is worth another try; the provider may hand out a good file next time.
        raise ProviderError(f"{provider}: the returned image is not readable: {e}") from e
    write_atomic(dest, out.getvalue())


def idempotency_header(key: str) -> dict[str, str]:
    """A create's `Idempotency-Key` header: no provider documents honouring it, but it costs nothing."""
    return {"Idempotency-Key": key} if key else {}
