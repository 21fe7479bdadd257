"""The local renderer, Reelsmith's offline default "model".

Entry points: ``render_clip(RenderSpec, dest)`` renders one scene to an MP4 the stitcher can copy;
``render_still(StillSpec, dest)`` draws a PNG card; ``ASPECT_SIZES`` gives the frame size of each aspect.

Internals: ``looks`` (what a seed decides: palette and chord), ``backdrop`` and ``camera`` (the moving
picture), ``overlay_text`` and ``text_layout`` (fitted on-screen text), ``audio_bed`` (the soft chord),
``still`` (cards drawn with Pillow).
"""

from reelsmith.media.render.renderer import ASPECT_SIZES, RenderSpec, StillSpec, render_clip, render_still

__all__ = [
    "ASPECT_SIZES",
    "RenderSpec",
    "StillSpec",
    "render_clip",
    "render_still",
]
