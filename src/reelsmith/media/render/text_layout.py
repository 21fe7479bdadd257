"""Fit on-screen text: pick a font size and wrap words into a few balanced lines, using the shipped font."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

_FONT_NAME = "DejaVuSans-Bold.ttf"
_ELLIPSIS = "…"


@functools.cache
def font_path() -> Path:
    """Filesystem path of the bold font shipped in ``reelsmith/assets/fonts`` (never a system font)."""
    ref = resources.files("reelsmith").joinpath("assets", "fonts", _FONT_NAME)
    # The package is installed as plain files (wheel or editable), so the resource is a real path.
    return Path(str(ref))


@functools.cache
def _font(size: int) -> FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path()), size)


def text_width(text: str, size: int) -> float:
    """Rendered width in pixels of ``text`` at ``size`` px in the shipped font."""
    return float(_font(size).getlength(text))


@dataclass(frozen=True)
class TextBlock:
    """Lines of text laid out at one font size; ``line_height`` is the baseline-to-baseline step."""

    lines: tuple[str, ...]
    size: int

    @property
    def line_height(self) -> int:
        """Baseline-to-baseline distance in pixels."""
        return round(self.size * 1.18)

    @property
    def height(self) -> int:
        """Height of the whole block in pixels."""
        return self.line_height * (len(self.lines) - 1) + self.size if self.lines else 0


def _wrap(words: list[str], size: int, max_width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _balanced(words: list[str], size: int, max_width: float, max_lines: int) -> list[str]:
    """Greedy wrap, then shrink the width while the line count holds, so lines come out even."""
    lines = _wrap(words, size, max_width)
    if len(lines) <= 1 or len(lines) > max_lines:
        return lines
    width = max_width
    while width > size * 3:
        narrower = _wrap(words, size, width * 0.95)
        if len(narrower) != len(lines):
            break
        lines, width = narrower, width * 0.95
    return lines


def _truncate(line: str, size: int, max_width: float) -> str:
    while line and text_width(line + _ELLIPSIS, size) > max_width:
        line = line[:-1]
    return line.rstrip() + _ELLIPSIS


def fit_text(text: str, *, max_width: float, size: int, min_size: int, max_lines: int = 3) -> TextBlock:
    """Wrap ``text`` into ≤ max_lines lines no wider than max_width, shrinking the font down to min_size."""
    words = text.split()
    if not words:
        return TextBlock((), size)
    while True:
        lines = _balanced(words, size, max_width, max_lines)
        if len(lines) <= max_lines and all(text_width(line, size) <= max_width for line in lines):
            return TextBlock(tuple(lines), size)
        if size <= min_size:
            break
        size = max(min_size, int(size * 0.9))
    # Still too long at the smallest size: keep what fits and end with an ellipsis.
    kept = lines[:max_lines]
    kept = [
        line if text_width(line, size) <= max_width else _truncate(line, size, max_width) for line in kept
    ]
    if len(lines) > max_lines:
        kept[-1] = _truncate(kept[-1], size, max_width)
    return TextBlock(tuple(kept), size)
