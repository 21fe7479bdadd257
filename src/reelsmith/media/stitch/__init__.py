"""Stitching: join clips into one MP4, copying streams wherever the clips allow.

Entry point: ``stitch(clips, dest, transition=..., audio=..., target_lufs=...)``, returning the MediaInfo
of the joined file. It raises ``ClipNotStitchable`` (a MediaError naming the clip) for a clip it cannot
use; ``SoundtrackMode`` names how a soundtrack meets the clips' own sound.

Internals, in the order a stitch meets them: ``scan`` (what a clip holds, from its MP4 index when it can),
``streams`` (what must match for a copy), ``concat`` (the stream-copy join), ``normalise`` (re-encode only
the clips that differ), ``soundtrack`` (the music's filter chain), then ``windowed`` and ``crossfade``
(transitions re-encoding only the join windows, or everything; ``windowed.encode_join_window`` makes a
join's window ahead of the stitch). Only what the stream-copy join needs is imported here: the transition
modules load when a transition is asked for.
"""

from reelsmith.media.stitch.scan import ClipNotStitchable
from reelsmith.media.stitch.soundtrack import SoundtrackMode
from reelsmith.media.stitch.stitcher import stitch

__all__ = ["ClipNotStitchable", "SoundtrackMode", "stitch"]
