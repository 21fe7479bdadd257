"""The house format, and bringing a provider's clip into it as soon as the clip arrives.

A clip in the house format (x264 with the house settings, a keyframe a second, square pixels, a
constant standard frame rate, AAC 48 kHz stereo) joins other house clips by stream copy, and its
transitions re-encode only the windows around the joins. Clips from providers are encoded by someone
else; converting each one while the other scenes are still rendering leaves the final stitch nothing
but copying and a few short windows.
"""

from __future__ import annotations

import functools
import tempfile
from fractions import Fraction
from pathlib import Path

from reelsmith.media.encode import REENCODE_CRF, fps_fraction, mp4_args, timescale_for, video_args
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.h264 import first_sps
from reelsmith.media.probe import MediaInfo, open_media
from reelsmith.media.stitch.normalise import Target, normalise_clip
from reelsmith.media.stitch.scan import ClipScan, scan_clip

# Frame rates kept as they come; anything else (odd or variable rates) is brought to 30.
_STANDARD_RATES = frozenset(
    {Fraction(24), Fraction(25), Fraction(30), Fraction(50), Fraction(60), Fraction(24000, 1001),
     Fraction(30000, 1001), Fraction(60000, 1001)}
)  # fmt: skip
_HOUSE_RATE = Fraction(30)


def house_target(scan: ClipScan) -> Target:
    """The house format for this clip: its own picture size (with square pixels) and frame rate."""
    sps = first_sps(scan.signature.video_extradata)
    sar = Fraction(*sps.sar) if sps is not None and sps.sar[1] else Fraction(1)
    width = round(scan.info.width * sar / 2) * 2
    height = scan.info.height - scan.info.height % 2
    fps = fps_fraction(scan.info.fps) if scan.info.fps else _HOUSE_RATE
    if fps not in _STANDARD_RATES:
        fps = _HOUSE_RATE
    return Target(width, height, fps, timescale_for(fps))


@functools.cache
def house_headers(width: int, height: int, fps: Fraction) -> bytes:
    """The codec headers (avcC) the house encoder writes at this size and rate.

    With x264's ``stitchable`` option they do not depend on the pictures or the quality setting, so one
    black frame shows them; every house encode of this size and rate carries exactly these.
    """
    with tempfile.TemporaryDirectory(prefix="reelsmith-house-") as tmp:
        probe_clip = Path(tmp) / "headers.mp4"
        run_ffmpeg([
            "-f", "lavfi", "-i", f"color=c=black:s={width}x{height}:r={fps}:d=1",
            "-frames:v", "1", *video_args(crf=REENCODE_CRF, fps=fps, timescale=timescale_for(fps)),
            *mp4_args(), str(probe_clip),
        ])  # fmt: skip
        container = open_media(probe_clip)
        try:
            return bytes(container.streams.video[0].codec_context.extradata or b"")
        finally:
            container.close()


def in_house_format(scan: ClipScan) -> bool:
    """True when the clip already is what the house encoder makes (nothing to convert)."""
    target = house_target(scan)
    sig = scan.signature
    return (
        sig.is_target_codecs
        and (sig.width, sig.height) == (target.width, target.height)
        and scan.fps == target.fps
        and sig.video_time_base == target.time_base
        and sig.video_extradata == house_headers(target.width, target.height, target.fps)
    )


def to_house_format(clip: Path, dest: Path) -> MediaInfo | None:
    """Write ``clip`` in the house format to ``dest`` and return what it holds; None if it already is."""
    scan = scan_clip(clip)
    if in_house_format(scan):
        return None
    normalise_clip(clip, scan.info, house_target(scan), dest)
    return scan_clip(dest).info
