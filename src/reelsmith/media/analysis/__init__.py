"""Analysis of source media: a song's tempo and beats for music videos, a video's shots for ad clones.

Entry points: ``analyze_audio(path)`` gives an ``AudioAnalysis`` (duration, tempo, beat times, loudness)
and ``plan_cuts`` lays scene lengths on its beats; ``analyze_video(path)`` gives a ``VideoAnalysis``
(``Shot`` list with keyframes, palette, motion, loudness).

Internals: ``music_beats`` (onset envelope, tempo, beat tracking), ``shots`` (cut detection on shrunken
frames), ``colors`` (dominant colours by k-means). numpy and PyAV are imported only when analysis runs.
"""

from reelsmith.media.analysis.music_beats import AudioAnalysis, analyze_audio, plan_cuts
from reelsmith.media.analysis.shots import Shot, VideoAnalysis, analyze_video

__all__ = ["AudioAnalysis", "Shot", "VideoAnalysis", "analyze_audio", "analyze_video", "plan_cuts"]
