"""Burn captions into a video, re-encoding only the stretches they cover.

The cues' frames are widened to the video's keyframes around them. The frames of all these windows are
decoded, drawn on by libass (the ``ass`` filter, with the shipped font) and encoded back to back at
``REENCODE_CRF`` by one encoder, each window from a forced keyframe; everything between windows is
stream-copied, as the windowed stitch does for transitions: the copied stretches come from one
video-only copy with the codec headers in-band (``video_with_inband_headers``), so the encoded windows
may carry other parameter sets than a foreign source's, and the concat demuxer lays the parts end to end
with exact durations (``write_listing``). The audio is copied as it is. The output has the input's frame
count and duration; frames outside the windows are the input's own, bit for bit.

What it saves depends on how much the captions cover and how far apart the keyframes are. On a 32 s 720p
video with a keyframe a second (as stitched videos have) and captions on 73 % of its frames, the
windows cover 84 % and the burn-in takes 1.19x less CPU than encoding it whole (``bench/captions.py``),
and the 16 % left alone keep their original quality. One encoder for all windows matters: a process per
window cost more than the whole encode (x264's start and flush, and the lookahead, per window). With
sparse keyframes (x264's default of one per 250 frames) the windows cover nearly everything, and when
they would cover over 95 % of the frames the whole video is encoded instead, which costs the same
without the copy and the join. So is a video that cannot be cut this way (not H.264 4:2:0, or a frame
rate that is not a whole number), and any video when ``whole`` is asked for.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

from reelsmith.media.captions.ass import ass_script, cue_frames
from reelsmith.media.captions.cues import Cue
from reelsmith.media.encode import REENCODE_CRF, mp4_args, video_args
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.filters import filter_value, num
from reelsmith.media.render.text_layout import font_path
from reelsmith.media.stitch.concat import REZERO_VIDEO, Part, index_room, write_listing, write_with_index_room
from reelsmith.media.stitch.inband import video_with_inband_headers
from reelsmith.media.stitch.normalise import Target
from reelsmith.media.stitch.scan import ClipScan, Keyframes, keyframes, scan_clip
from reelsmith.vocabulary import CaptionStyle

__all__ = ["CaptionStyle", "burn_captions", "caption_windows"]

log = logging.getLogger(__name__)

# Windows covering more than this share of the frames are not worth cutting: encoding the whole video
# costs about the same, without the copy and the join.
_MOSTLY = 0.95


def caption_windows(
    spans: Sequence[tuple[int, int]], keys: Sequence[int], frames: int
) -> list[tuple[int, int]]:
    """Frame ranges [start, end) to re-encode: each span widened to the keyframes around it, overlaps merged.

    ``spans`` are the frames the captions are shown on, ``keys`` the video's keyframes (frame indices),
    ``frames`` its length. A window starts on a keyframe and ends on one (or at the end of the video), so
    the stretches between windows can be copied.
    """
    ordered = sorted(keys)
    windows: list[tuple[int, int]] = []
    for first, end in sorted(spans):
        first, end = max(0, first), min(frames, end)
        if end <= first:
            continue
        start = max((k for k in ordered if k <= first), default=0)
        stop = min((k for k in ordered if k >= end), default=frames)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], stop))
        else:
            windows.append((start, stop))
    return windows


def _windows(scan: ClipScan, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return caption_windows(spans, keyframes(scan.path, scan.fps).frames, scan.video_frames)


def _cuttable(scan: ClipScan) -> bool:
    sig = scan.signature
    return sig.video_codec == "h264" and sig.pix_fmt == "yuv420p" and scan.fps.denominator == 1


def _ass_filter(script: Path) -> str:
    return f"ass=filename={filter_value(str(script))}:fontsdir={filter_value(str(font_path().parent))}"


def _encode_windows(scan: ClipScan, windows: Sequence[tuple[int, int]], script: Path, out: Path) -> list[int]:
    """Encode the windows' frames, captions drawn on, back to back into ``out`` (one encoder for all);
    return where each window starts in it (frames).

    Each window starts on a forced keyframe, so it can be cut from the file on its own. The frames
    keep their stamps in the whole video up to libass, where the script places the cues.
    """
    fps, first = scan.fps, windows[0][0]
    # Decoding starts at the first window's keyframe; frame numbers below count from there.
    picks = "+".join(f"between(n,{a - first},{b - first - 1})" for a, b in windows)
    starts = list(itertools.accumulate((b - a for a, b in windows[:-1]), initial=0))
    total = sum(b - a for a, b in windows)
    target = Target.from_first(scan.info)
    graph = (
        f"[0:v]select='{picks}',setpts=PTS+{num(float(first / fps))}/TB,{_ass_filter(script)},"
        f"setpts=N/({fps}*TB),format=yuv420p[v]"
    )
    run_ffmpeg(
        [
            "-ss", num(float(first / fps)), "-i", str(scan.path), "-filter_complex", graph,
            "-map", "[v]", "-frames:v", str(total), "-an",
            # Half a frame early, so rounding the time can never move the keyframe to the next frame.
            "-force_key_frames", ",".join(num(max(0.0, float((n - 0.5) / fps))) for n in starts),
            *video_args(crf=REENCODE_CRF, fps=fps, timescale=target.timescale, keep_colour=True),
            *mp4_args(), str(out),
        ],
        timeout_s=60 + total / 5,
    )  # fmt: skip
    return starts


def _cut(path: Path, frames: tuple[int, int], length: int, keys: Keyframes, fps: Fraction) -> Part:
    """Frames [start, end) of ``path`` (``length`` frames long), both ends on keyframes, as a listing part.

    The part stops at the decode stamp of the keyframe that ends it: every packet before that in decode
    order belongs to the GOPs kept (closed GOPs), every packet from it on to the next part.
    """
    start, end = frames
    outpoint = keys.dts_s[keys.frames.index(end)] if end < length else None
    return Part(path, float((end - start) / fps), float(start / fps) if start else None, outpoint)


def _parts(
    copy: Path,
    encoded: Path,
    windows: Sequence[tuple[int, int]],
    starts: Sequence[int],
    frames: int,
    fps: Fraction,
) -> list[Part]:
    """The concat listing: stretches of ``copy`` between the windows, and the windows cut from ``encoded``."""
    copy_keys, encoded_keys = keyframes(copy, fps), keyframes(encoded, fps)
    encoded_length = sum(b - a for a, b in windows)
    parts: list[Part] = []
    done = 0
    for (start, end), at in zip(windows, starts, strict=True):
        if start > done:
            parts.append(_cut(copy, (done, start), frames, copy_keys, fps))
        parts.append(_cut(encoded, (at, at + end - start), encoded_length, encoded_keys, fps))
        done = end
    if done < frames:
        parts.append(_cut(copy, (done, frames), frames, copy_keys, fps))
    return parts


def _burn_windows(
    scan: ClipScan, windows: Sequence[tuple[int, int]], script: Path, workdir: Path, out: Path
) -> None:
    """Encode the windows (beside the video-only copy of the rest) and join all the parts."""
    encoded = workdir / "windows.mp4"
    with ThreadPoolExecutor(1) as pool:
        copying = pool.submit(
            video_with_inband_headers, [scan.path], workdir, duration_s=scan.video_duration_s, prefix="copied"
        )
        starts = _encode_windows(scan, windows, script, encoded)
        (copy,) = copying.result()
    parts = _parts(copy, encoded, windows, starts, scan.video_frames, scan.fps)
    listing = write_listing(parts, workdir / "parts.txt")
    audio = ["-map", "1:a:0", "-c:a", "copy"] if scan.info.has_audio else []
    samples = scan.video_frames + (scan.audio.priming + scan.audio.real if scan.audio else 0)
    args = [
        "-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(scan.path),
        "-map", "0:v:0", "-c:v", "copy", "-bsf:v", REZERO_VIDEO, *audio, "-map_metadata", "1",
    ]  # fmt: skip
    write_with_index_room(args, out, index_room(samples), timeout_s=60 + scan.video_duration_s)


def _burn_whole(scan: ClipScan, script: Path, out: Path) -> None:
    """Encode the whole video with the captions drawn on (audio copied)."""
    target = Target.from_first(scan.info)
    audio = ["-map", "0:a:0", "-c:a", "copy"] if scan.info.has_audio else []
    run_ffmpeg(
        [
            "-i", str(scan.path), "-filter_complex", f"[0:v]{_ass_filter(script)},format=yuv420p[v]",
            "-map", "[v]", *audio,
            *video_args(crf=REENCODE_CRF, fps=scan.fps, timescale=target.timescale, keep_colour=True),
            *mp4_args(), str(out),
        ],
        timeout_s=120 + scan.video_duration_s * 10,
    )  # fmt: skip


def burn_captions(
    video: Path,
    cues: Sequence[Cue],
    out: Path,
    *,
    style: CaptionStyle = CaptionStyle.BOLD,
    whole: bool = False,
) -> None:
    """Write ``video`` with ``cues`` burned in to ``out`` (atomically), re-encoding only what they cover.

    ``whole`` encodes the entire video instead (what a video that cannot be cut gets anyway).
    """
    video, out = Path(video), Path(out)
    scan = scan_clip(video)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="reelsmith-burn-") as tmp:
            workdir = Path(tmp)
            script = workdir / "captions.ass"
            info = scan.info
            script.write_text(ass_script(cues, info.width, info.height, scan.fps, style), encoding="utf-8")
            spans = [cue_frames(cue, scan.fps) for cue in cues]
            windows = [] if whole or not _cuttable(scan) else _windows(scan, spans)
            covered = sum(b - a for a, b in windows)
            if whole or not _cuttable(scan) or covered > _MOSTLY * scan.video_frames:
                _burn_whole(scan, script, partial)
            elif not windows:
                shutil.copyfile(video, partial)  # no cue falls on a frame: the video as it is
            else:
                _burn_windows(scan, windows, script, workdir, partial)
                log.info(
                    "captions: %d of %d frames re-encoded in %d windows",
                    covered,
                    scan.video_frames,
                    len(windows),
                )
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
