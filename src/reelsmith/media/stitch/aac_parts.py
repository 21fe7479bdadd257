"""An AAC track encoded in parts side by side, then spliced at frame boundaries into one stream.

FFmpeg's AAC encoder uses one core, and a minute of stereo takes it longer than anything else left to
do once a generation's last clip arrives. Split into parts, the encode runs on every core, beside the
transition windows.

Each part is encoded from a few frames before its span to a few frames after it (handles), so the
encoder hears around each splice what a single encode would; only the frames that decode to the part's
own span are kept. An AAC frame decodes by overlapping its transform with the previous frame's, and
both frames at a splice were encoded from the same sound, so the splice reconstructs like any other
frame boundary: no click, the coder's usual error (`tests/media/test_aac_parts.py` measures both).

The parts are written as ADTS (each frame with a small header of its own), whose frames can be cut
apart without a demuxer. ADTS does not say that the encoder's first frame is priming, so the spliced
stream goes into MP4 shifted back by that frame, which the muxer records as samples to skip (an edit
list) exactly as an encode straight to MP4 does.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reelsmith.errors import MediaError
from reelsmith.media.encode import SAMPLE_RATE, audio_args
from reelsmith.media.ffmpeg import run_ffmpeg

FRAME = 1024  # samples per AAC-LC frame
# FFmpeg's AAC encoder delays its output by one frame: the first frame it writes decodes to priming.
PRIMING = FRAME
# Frames encoded on each side of a part's span and then dropped: the psychoacoustic model and the
# block switching look a frame ahead, and the first frame of any encode is a start-up transient.
HANDLE_FRAMES = 4
# The shortest span worth a process of its own (each part decodes its sources from the start).
MIN_PART_S = 12.0
# Two parts, one per core: in a stitch the window encodes share the cores, and there three or four parts
# measured slower than two (each part decodes and mixes the track from its start), two 0.1 s faster
# than one (an 8-clip finish on this 2-core machine), and 0.56 s against 0.75 s with the cores free.
MAX_PARTS = 2


@dataclass(frozen=True)
class Span:
    """Samples [start, end) of the track that one part delivers, encoded from ``encode_from`` to
    ``encode_to`` (the span with its handles)."""

    start: int
    end: int
    encode_from: int
    encode_to: int


def parts_for(length_s: float) -> int:
    """How many parts a track of ``length_s`` is encoded in: one per `MIN_PART_S`, at most `MAX_PARTS`."""
    return max(1, min(MAX_PARTS, int(length_s // MIN_PART_S)))


def spans(total: int, parts: int) -> list[Span]:
    """``parts`` spans covering samples [0, total), split at frame boundaries."""
    step = max(FRAME, total // parts // FRAME * FRAME)
    bounds = [min(total, k * step) for k in range(parts)] + [total]
    handle = HANDLE_FRAMES * FRAME
    return [
        Span(start, end, max(0, start - handle), min(total, end + handle))
        for start, end in itertools.pairwise(bounds)
        if end > start
    ]


def adts_frames(data: bytes) -> list[bytes]:
    """The frames of an ADTS stream, each with its header."""
    frames: list[bytes] = []
    at = 0
    while at < len(data):
        header = data[at : at + 7]
        if len(header) < 7 or header[0] != 0xFF or header[1] & 0xF6 != 0xF0:
            raise MediaError(f"not an ADTS frame at byte {at} of the encoded audio")
        length = ((header[3] & 0x03) << 11) | (header[4] << 3) | (header[5] >> 5)
        if length < 7 or at + length > len(data):
            raise MediaError(f"truncated ADTS frame at byte {at} of the encoded audio")
        frames.append(data[at : at + length])
        at += length
    return frames


def kept_frames(frames: Sequence[bytes], span: Span, *, first: bool, last: bool) -> list[bytes]:
    """Of a part's frames, those that decode to its span.

    Frame j of an encode starting at sample s decodes to samples [s + (j - 1) * FRAME, s + j * FRAME):
    frame 0 is the priming, kept only at the very start of the track.
    """
    begin = 0 if first else (span.start - span.encode_from) // FRAME + 1
    end = len(frames) if last else (span.end - span.encode_from) // FRAME + 1
    if end > len(frames):
        raise MediaError("the encoder delivered fewer audio frames than its part covers")
    return list(frames[begin:end])


def encode_in_parts(
    inputs: Sequence[str],
    chains: Sequence[str],
    label: str,
    length_s: float,
    dest: Path,
    *,
    parts: int,
    timeout_s: float,
) -> Path:
    """Encode the filter graph's output ``label`` (at `SAMPLE_RATE`), ``length_s`` long, to ``dest`` as
    AAC in MP4, in ``parts`` encodes that run side by side."""
    total = round(length_s * SAMPLE_RATE)
    planned = spans(total, parts)
    tmp = dest.with_name(f".{dest.stem}.{os.getpid()}")

    def encode(n: int) -> list[bytes]:
        span = planned[n]
        out = Path(f"{tmp}.{n}.aac")
        trim = (
            f"[{label}]atrim=start_sample={span.encode_from}:end_sample={span.encode_to},"
            "asetpts=PTS-STARTPTS[part]"
        )
        run_ffmpeg(
            [*inputs, "-filter_complex", ";".join([*chains, trim]), "-map", "[part]", *audio_args(),
             "-f", "adts", str(out)],
            timeout_s=timeout_s,
        )  # fmt: skip
        return kept_frames(adts_frames(out.read_bytes()), span, first=n == 0, last=n == len(planned) - 1)

    joined, final = Path(f"{tmp}.aac"), Path(f"{tmp}.m4a")
    made = [joined, final, *(Path(f"{tmp}.{n}.aac") for n in range(len(planned)))]
    try:
        with ThreadPoolExecutor(min(len(planned), os.cpu_count() or 1)) as pool:
            encoded = list(pool.map(encode, range(len(planned))))
        joined.write_bytes(b"".join(frame for part in encoded for frame in part))
        run_ffmpeg(
            ["-itsoffset", f"{-PRIMING / SAMPLE_RATE:.9f}", "-i", str(joined), "-map", "0:a:0", "-c", "copy",
             "-f", "mp4", str(final)],
            timeout_s=timeout_s,
        )  # fmt: skip
        os.replace(final, dest)
    finally:
        for path in made:
            path.unlink(missing_ok=True)
    return dest
