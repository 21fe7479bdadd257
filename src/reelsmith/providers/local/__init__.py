"""The built-in offline provider "local": a template writer, title cards and ffmpeg-rendered clips.

It needs no key and no network and never pretends to be an AI model: its model names say
"local-…" and its output is rendered from templates.
"""

from reelsmith.providers.local.image import LocalImageModel
from reelsmith.providers.local.text import LocalTextModel
from reelsmith.providers.local.video import LocalVideoModel

__all__ = ["LocalImageModel", "LocalTextModel", "LocalVideoModel"]
