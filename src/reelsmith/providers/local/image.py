"""The local image model: a title card drawn by the local renderer, not a generated picture."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from reelsmith.providers.base import ImageRequest
from reelsmith.providers.local.subject import extract_subject, title_case

_MAX_CAPTION_CHARS = 80


def headline_for(prompt: str) -> str:
    """Return the card's headline: the prompt's subject in title case."""
    return title_case(extract_subject(prompt)) or "Reelsmith"


def _caption(prompt: str, headline: str) -> str:
    text = " ".join(prompt.split())
    if not text or text.lower() == headline.lower():
        return ""
    if len(text) <= _MAX_CAPTION_CHARS:
        return text
    return text[: _MAX_CAPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"


class LocalImageModel:
    """Draws still cards (gradient art and text) with the local renderer; needs no key and no network."""

    name: str
    model: str = "local-card-v1"

    def __init__(self, *, name: str = "local") -> None:
        self.name = name

    def generate_image(self, request: ImageRequest, dest: Path) -> None:
        """Write one PNG card for the prompt's subject to `dest` (atomically)."""
        from reelsmith.media.render import StillSpec, render_still

        headline = headline_for(request.prompt)
        caption = _caption(request.prompt, headline)
        spec = StillSpec(aspect=request.aspect, seed=request.seed, headline=headline, caption=caption)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        # The suffix stays .png so the renderer picks the right encoder for the temp file.
        tmp = dest.with_name(f".{dest.stem}.{uuid.uuid4().hex}.part.png")
        try:
            render_still(spec, tmp)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
