"""Still cards with Pillow: the same looks as rendered clips, for quick images and reference cards."""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reelsmith.errors import MediaError
from reelsmith.media.render.looks import Look, look_for
from reelsmith.media.render.overlay_text import Frame, layout
from reelsmith.media.render.text_layout import font_path

if TYPE_CHECKING:
    from PIL import Image as PILImage


def _rgb(color: str) -> tuple[int, int, int]:
    value = int(color, 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def _gradient(size: tuple[int, int], look: Look, seed: int) -> PILImage.Image:
    from PIL import Image, ImageOps

    width, height = size
    side = int((width**2 + height**2) ** 0.5) + 2
    ramp = Image.linear_gradient("L").resize((side, side), Image.Resampling.BILINEAR)
    ramp = ramp.rotate(random.Random(seed).uniform(0, 360), resample=Image.Resampling.BILINEAR)
    left, top = (side - width) // 2, (side - height) // 2
    ramp = ramp.crop((left, top, left + width, top + height))
    c0, c1, c2 = (_rgb(c) for c in look.palette.colors)
    return ImageOps.colorize(ramp, black=c0, white=c2, mid=c1).convert("RGB")


def _glow(
    canvas: PILImage.Image, color: str, center: tuple[float, float], radius: int, strength: float
) -> None:
    from PIL import Image, ImageChops

    # radial_gradient reaches 128 at the edge midpoints: rescale so the light fades to nothing there.
    mask = ImageChops.invert(Image.radial_gradient("L")).resize((radius * 2, radius * 2))
    mask = mask.point(lambda v: int(max(0, v - 128) * 2 * strength))
    layer = Image.new("RGB", mask.size, _rgb(color))
    canvas.paste(layer, (int(center[0] - radius), int(center[1] - radius)), mask)


def _vignette(canvas: PILImage.Image, amount: float) -> PILImage.Image:
    from PIL import Image

    shade = Image.radial_gradient("L").resize(canvas.size).point(lambda v: int(max(0, v - 90) * amount))
    return Image.composite(Image.new("RGB", canvas.size, (0, 0, 0)), canvas, shade)


def _art(size: tuple[int, int], look: Look, seed: int) -> PILImage.Image:
    canvas = _gradient(size, look, seed)
    base = min(size)
    lights = (
        (look.palette.accent, 0.45, 0.55),
        ("0xffffff", 0.22, 0.35),
        (look.palette.colors[2], 0.55, 0.6),
    )
    for (color, scale, strength), (x, y, _, _) in zip(lights, look.orbs, strict=True):
        _glow(canvas, color, (x * size[0], y * size[1]), int(base * scale), strength)
    return _vignette(canvas, 1.4)


def _card(size: tuple[int, int], image_path: Path, darken: bool) -> PILImage.Image:
    from PIL import Image, ImageFilter, ImageOps

    try:
        with Image.open(image_path) as img:
            source = ImageOps.exif_transpose(img).convert("RGB")
    except OSError as e:
        raise MediaError(f"cannot read image {image_path}: {e}") from e
    fill = ImageOps.fit(source, (max(2, size[0] // 16), max(2, size[1] // 16)))
    fill = fill.filter(ImageFilter.GaussianBlur(2)).resize(size, Image.Resampling.BICUBIC)
    canvas = Image.eval(fill, lambda v: int(v * 0.55))
    fitted = ImageOps.contain(source, size, Image.Resampling.LANCZOS)
    canvas.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    if darken:
        # A band of shade behind the text keeps it readable over bright photos, as in rendered clips.
        band = Image.linear_gradient("L").point(lambda v: int((255 - abs(2 * v - 255)) * 0.5 + 12))
        shade = band.resize(size, Image.Resampling.BILINEAR)
        canvas = Image.composite(Image.new("RGB", size, (0, 0, 0)), canvas, shade)
    return _vignette(canvas, 0.9)


def _text(canvas: PILImage.Image, headline: str, caption: str, accent: str) -> None:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    frame = Frame(*canvas.size)
    head, cap = layout(frame, headline, caption)
    if not head.lines and not cap.lines:
        return
    gap = round(head.size * 0.45)
    bar_h = max(4, round(frame.height * 0.007))
    block = head.height + (gap * 2 + bar_h + cap.height if cap.lines else 0)
    top = round(frame.block_center - block / 2)
    shadow = Image.new("L", canvas.size, 0)
    ink = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    sdraw, draw = ImageDraw.Draw(shadow), ImageDraw.Draw(ink)

    def line(text: str, size: int, y: int, alpha: int) -> None:
        font = ImageFont.truetype(str(font_path()), size)
        x = (frame.width - draw.textlength(text, font=font)) / 2
        offset = max(2, round(size * 0.05))
        sdraw.text((x, y + offset), text, font=font, fill=150)
        draw.text((x, y), text, font=font, fill=(255, 255, 255, alpha))

    for i, text in enumerate(head.lines):
        line(text, head.size, top + i * head.line_height, 255)
    if cap.lines:
        bar_y = top + head.height + gap if head.lines else top
        bar_w = round(min(frame.text_width * 0.5, head.size * 3.2))
        left = (frame.width - bar_w) // 2
        draw.rectangle((left, bar_y, left + bar_w - 1, bar_y + bar_h - 1), fill=(*_rgb(accent), 255))
        for i, text in enumerate(cap.lines):
            line(text, cap.size, bar_y + bar_h + gap + i * cap.line_height, 230)
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(2, head.size // 14)))
    canvas.paste(Image.new("RGB", canvas.size, (0, 0, 0)), (0, 0), shadow)
    canvas.paste(ink, (0, 0), ink)


def draw_still(
    size: tuple[int, int], seed: int, headline: str, caption: str, images: Sequence[Path], dest: Path
) -> tuple[int, int]:
    """Draw a card of ``size`` to the PNG ``dest`` (atomically) and return its size."""
    look = look_for(seed)
    has_text = bool(headline.strip() or caption.strip())
    canvas = _card(size, images[0], has_text) if images else _art(size, look, seed)
    _text(canvas, headline, caption, look.palette.accent)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        canvas.save(partial, "PNG")
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return canvas.size
