"""Encoder settings shared by the renderer and the stitcher, so their outputs stay stream-copy compatible."""

from __future__ import annotations

from fractions import Fraction

FPS = 30
TIMESCALE = 15360  # 512 ticks per frame at 30 fps, and ffmpeg's own default for 30 fps MP4 video
SAMPLE_RATE = 48000
# Whatever Reelsmith re-encodes (normalised clips, transition windows, burned-in captions) must stay
# near-transparent: at least 40 dB PSNR away from transitions, which x264's default CRF 23 is not.
REENCODE_CRF = 18
HOUSE_PRESET = "veryfast"
# For encodes someone is waiting on (a stitch's transition windows): about half the CPU of the house
# preset at the same CRF, for about twice the bits. Measured on a 720p window: 0.6 s of CPU against 1.1,
# and the frames around the fade 56 dB from the source against 48.
QUICK_PRESET = "ultrafast"


def video_args(
    *,
    crf: int,
    fps: Fraction | int = FPS,
    gop_s: float = 1.0,
    timescale: int = TIMESCALE,
    keep_colour: bool = False,
    preset: str = HOUSE_PRESET,
) -> list[str]:
    """x264 High, yuv420p BT.709, constant frame rate, closed GOP with a keyframe every ``gop_s`` seconds.

    With ``keep_colour`` the pictures keep the colour description they arrive with: naming BT.709 makes
    ffmpeg convert pictures described otherwise (or not at all), which would set a re-encoded stretch
    of someone else's clip apart from the copied rest of it. Parts encoded with another ``preset`` can
    follow one another in a stream: their parameter sets come in-band.
    """
    gop = max(1, round(fps * gop_s))
    colour = [] if keep_colour else [
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
    ]  # fmt: skip
    return [
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high",
        "-pix_fmt", "yuv420p", "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
        "-fps_mode", "cfr", "-r", str(fps), *colour,
        "-video_track_timescale", str(timescale),
        # Headers independent of the content and CRF, so clips from separate encodes can be concatenated;
        # and repeated before every keyframe, so a part joined after clips from another encoder brings its
        # own parameter sets (decoders and browsers switch to them in-band).
        "-x264-params", "stitchable=1:repeat-headers=1",
    ]  # fmt: skip


def timescale_for(fps: Fraction) -> int:
    """MP4 video timescale ffmpeg picks for ``fps`` (15360 for 30 fps, 12800 for 25, 30000 for 29.97)."""
    return fps.numerator * 512 if fps.denominator == 1 else fps.numerator


def fps_fraction(fps: float) -> Fraction:
    """A frame rate as an exact fraction, recognising the NTSC rates (29.97 → 30000/1001)."""
    for ntsc in (24, 30, 60):
        if abs(fps - ntsc * 1000 / 1001) < 0.005:
            return Fraction(ntsc * 1000, 1001)
    return Fraction(fps).limit_denominator(1000)


def audio_args() -> list[str]:
    """AAC-LC 48 kHz stereo."""
    return ["-c:a", "aac", "-b:a", "160k", "-ar", str(SAMPLE_RATE), "-ac", "2"]


def mp4_args(*, reserve_index_bytes: int | None = None) -> list[str]:
    """MP4 with the index up front, so playback can start before the download ends.

    By default ffmpeg moves the index to the front after writing (a second pass over the whole file).
    With ``reserve_index_bytes`` it leaves that much room at the front instead and writes the index there,
    saving the second pass; ffmpeg fails with "reserved_moov_size is too small" if the room runs out.
    """
    if reserve_index_bytes is not None:
        return ["-moov_size", str(reserve_index_bytes), "-f", "mp4"]
    return ["-movflags", "+faststart", "-f", "mp4"]
