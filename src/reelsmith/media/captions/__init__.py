"""Word-timed captions: cues from word timings, SubRip and WebVTT files, and burned-in short-form captions.

Entry points: ``caption_cues(words)`` groups spoken words into cues; ``to_srt`` and ``to_vtt`` write them
as files' text; ``burn_captions(video, cues, out, style=...)`` draws them into the picture, re-encoding
only the stretches they cover. Internals: ``ass`` (the looks and layout, as an ASS script for libass).
"""

from reelsmith.media.captions.burn import CaptionStyle, burn_captions
from reelsmith.media.captions.cues import Cue, caption_cues, to_srt, to_vtt

__all__ = ["CaptionStyle", "Cue", "burn_captions", "caption_cues", "to_srt", "to_vtt"]
