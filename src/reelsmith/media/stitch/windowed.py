"""Transitions that re-encode only the windows around each join and stream-copy everything between.

Each clip is cut at keyframes: its middle (from the first keyframe after the incoming transition to the
last keyframe before the outgoing one) is copied; each join window (tail of one clip from a keyframe, head
of the next up to a keyframe) goes through xfade and is encoded at ``REENCODE_CRF``. The clips may come
from any H.264 encoder: every part carries its own parameter sets in-band (the copied middles get them
from the ``h264_mp4toannexb`` filter, our encodes from x264's repeated headers), so a decoder switches
to each part's SPS/PPS at its first keyframe. A clip whose keyframes are too sparse to cut near its
transitions is re-encoded whole first (the house GOP of one second). The concat demuxer then lays the
parts end to end with exact durations, and the whole audio track is built in the same process
(acrossfade chain), so the result lasts sum(durations) - (n - 1) * transition.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from reelsmith.media.encode import HOUSE_PRESET, QUICK_PRESET, REENCODE_CRF, mp4_args, video_args
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.filters import num
from reelsmith.media.h264 import first_sps
from reelsmith.media.stitch.concat import REZERO_VIDEO, Part, write_listing
from reelsmith.media.stitch.inband import video_with_inband_headers
from reelsmith.media.stitch.joined_audio import JoinedAudio, encode_joined_audio
from reelsmith.media.stitch.meter import ClipMeter
from reelsmith.media.stitch.normalise import Target, normalise_clip
from reelsmith.media.stitch.scan import ClipScan, keyframes, scan_clip
from reelsmith.media.stitch.soundtrack import SoundtrackMode
from reelsmith.vocabulary import Transition

log = logging.getLogger(__name__)

_WORKERS = 2  # the join encodes are small; two at a time keeps both cores busy without oversubscribing


@dataclass(frozen=True)
class _Cut:
    """Frame indices of one clip: [0, head) goes to the join before it, [tail, frames) to the one after."""

    head: int
    tail: int
    frames: int


def _cut(scan: ClipScan, first: bool, last: bool, overlap: int) -> _Cut | None:
    """Where ``scan`` can be cut at keyframes around its transitions; None when they are too sparse."""
    keys = keyframes(scan.path, scan.fps).frames
    n = scan.video_frames
    head = 0 if first else next((k for k in keys if k >= overlap), n)
    tail = n if last else max((k for k in keys if k <= n - overlap), default=0)
    return _Cut(head, tail, n) if head <= tail else None


def _cuts(scans: Sequence[ClipScan], overlap: int) -> list[_Cut | None]:
    last = len(scans) - 1
    return [_cut(scan, i == 0, i == last, overlap) for i, scan in enumerate(scans)]


def _regrid(scans: list[ClipScan], which: Sequence[int], workdir: Path) -> None:
    """Re-encode the video of the clips at ``which`` with the house GOP (a keyframe a second), in place.

    Size and rate already match; the pictures and their colour description pass through unchanged and
    the audio is copied, so only the keyframe grid differs from the original. The stitch is waited for:
    x264's quick preset (half the CPU; a 5.3 s 720p film clip with one keyframe took 0.45 s, against 1.03).
    """
    outs = {i: workdir / f"regrid_{i}.mp4" for i in which}

    def regrid(i: int) -> None:
        scan = scans[i]
        run_ffmpeg(
            [
                "-i", str(scan.path), "-map", "0:v:0", "-map", "0:a:0?", "-c:a", "copy",
                *video_args(crf=REENCODE_CRF, fps=scan.fps, timescale=Target.from_first(scan.info).timescale,
                            keep_colour=True, preset=QUICK_PRESET),
                *mp4_args(), str(outs[i]),
            ],
            timeout_s=60 + scan.video_duration_s * 10,
        )  # fmt: skip

    with ThreadPoolExecutor(_WORKERS) as pool:
        list(pool.map(regrid, which))
    for i in which:
        scans[i] = scan_clip(outs[i])


def uncuttable(scan: ClipScan) -> str | None:
    """Why the clip's video cannot be cut and copied as it is (codec, sampling, pixels, rate), or None."""
    sig = scan.signature
    if sig.video_codec != "h264":
        return f"{sig.video_codec or 'no'} video, not H.264"
    if sig.pix_fmt != "yuv420p":
        return f"H.264 in {sig.pix_fmt}, not 8-bit 4:2:0"
    sps = first_sps(sig.video_extradata)
    if sps is None:
        return "H.264 without parameter sets in its header"
    if not sps.square_pixels:
        return "H.264 with non-square pixels"
    if scan.fps.denominator != 1:
        return f"H.264 at {float(scan.fps):.3f} fps, not a whole frame rate"
    return None


def _shape(scan: ClipScan) -> tuple[int, int, Fraction] | None:
    """(width, height, rate) of a clip whose video can be cut and copied as it is; None if it cannot."""
    if uncuttable(scan) is not None:
        return None
    return scan.signature.width, scan.signature.height, scan.fps


def _prepare(
    scans: list[ClipScan], transition_s: float, workdir: Path
) -> tuple[list[ClipScan], list[_Cut]] | None:
    """The clips ready to cut, and where; None when there is no common format to cut them to.

    The format most clips share is the target. A clip in another one (another size or rate, another
    codec, non-square pixels) is converted to it, one in another MP4 timescale only remuxed, and one
    whose keyframes are too sparse to cut near its transitions is re-encoded with a keyframe a second.
    Everything else is cut as it is.
    """
    shapes = [_shape(s) for s in scans]
    usable = [shape for shape in shapes if shape is not None]
    if not usable:
        return None
    width, height, fps = max(usable, key=usable.count)
    majority = next(s for s, shape in zip(scans, shapes, strict=True) if shape == (width, height, fps))
    time_base = majority.signature.video_time_base
    target = Target(width, height, fps, int(time_base[2:]) if time_base and time_base.startswith("1/") else 0)
    if not target.timescale:
        return None
    odd = [i for i, shape in enumerate(shapes) if shape != (width, height, fps)]
    if odd:
        log.info("stitch: %d clips differ from the others' format; converting them", len(odd))
        _convert(scans, odd, target, workdir)
    retimed = [i for i, s in enumerate(scans) if s.signature.video_time_base != target.time_base]
    _retime(scans, retimed, target, workdir)
    overlap = max(1, round(transition_s * fps))
    sparse = [i for i, cut in enumerate(_cuts(scans, overlap)) if cut is None]
    if sparse:
        log.info("stitch: %d clips have too few keyframes to cut; re-encoding them whole", len(sparse))
        _regrid(scans, sparse, workdir)
    found = _cuts(scans, overlap)
    cuts = [c for c in found if c is not None]
    return (scans, cuts) if len(cuts) == len(found) else None


def _convert(scans: list[ClipScan], which: Sequence[int], target: Target, workdir: Path) -> None:
    """Bring the clips at ``which`` to ``target`` (size, rate, house encoding), in place in ``scans``."""
    outs = {i: workdir / f"converted_{i}.mp4" for i in which}
    with ThreadPoolExecutor(_WORKERS) as pool:
        jobs = [pool.submit(normalise_clip, scans[i].path, scans[i].info, target, outs[i]) for i in which]
        for job in jobs:
            job.result()
    for i in which:
        scans[i] = scan_clip(outs[i])


def _retime(scans: list[ClipScan], which: Sequence[int], target: Target, workdir: Path) -> None:
    """Remux the clips at ``which`` into the target's MP4 timescale (nothing re-encoded), in place."""
    for i in which:
        out = workdir / f"retimed_{i}.mp4"
        run_ffmpeg(
            ["-i", str(scans[i].path), "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
             "-video_track_timescale", str(target.timescale), *mp4_args(), str(out)],
            timeout_s=60 + scans[i].video_duration_s,
        )  # fmt: skip
        scans[i] = scan_clip(out)


def _join_graph(na: int, nb: int, overlap: int, fps: Fraction, transition: Transition) -> str:
    """xfade over just the overlapping frames; the frames around it are passed on untouched.

    xfade alters even the frames outside its transition (about 40 dB), so they never go through it.
    """
    chains = [
        f"[0:v]trim=end_frame={na},setpts=PTS-STARTPTS,format=yuv420p,split[a0][a1]",
        f"[a1]trim=start_frame={na - overlap},setpts=PTS-STARTPTS[afade]",
        f"[1:v]trim=end_frame={nb},setpts=PTS-STARTPTS,format=yuv420p,split[b0][b1]",
        f"[b0]trim=end_frame={overlap}[bfade]",
        f"[afade][bfade]xfade=transition={transition}:duration={num(float(overlap / fps))}:offset=0[mid]",
    ]
    pieces = ["[mid]"]
    if na > overlap:
        chains.append(f"[a0]trim=end_frame={na - overlap}[apre]")
        pieces.insert(0, "[apre]")
    else:
        chains.append("[a0]nullsink")
    if nb > overlap:
        chains.append(f"[b1]trim=start_frame={overlap},setpts=PTS-STARTPTS[bpost]")
        pieces.append("[bpost]")
    else:
        chains.append("[b1]nullsink")
    chains.append(f"{''.join(pieces)}concat=n={len(pieces)}:v=1:a=0,format=yuv420p[v]")
    return ";".join(chains)


def _encode_join(
    a: ClipScan,
    b: ClipScan,
    cut_a: _Cut,
    cut_b: _Cut,
    transition: Transition,
    overlap: int,
    out: Path,
    preset: str = HOUSE_PRESET,
) -> int:
    """Encode tail of ``a`` + head of ``b`` through xfade into ``out``; return its frame count."""
    fps = a.fps
    na, nb = cut_a.frames - cut_a.tail, cut_b.head
    frames = na + nb - overlap
    target = Target.from_first(a.info)
    graph = _join_graph(na, nb, overlap, fps, transition)
    encoding = video_args(
        crf=REENCODE_CRF, fps=fps, timescale=target.timescale, keep_colour=True, preset=preset
    )
    run_ffmpeg(
        [
            "-ss", num(float(cut_a.tail / fps)), "-i", str(a.path),
            "-t", num(float((nb + 1) / fps)), "-i", str(b.path),
            "-filter_complex", graph, "-map", "[v]", "-frames:v", str(frames), "-an",
            *encoding, *mp4_args(), str(out),
        ],
        timeout_s=60 + frames,
    )  # fmt: skip
    return frames


def _video_only(scans: Sequence[ClipScan], wanted: Sequence[int], workdir: Path) -> dict[int, Path]:
    """Video-only copies (headers in-band) of the clips whose middles are copied."""
    if not wanted:
        return {}
    duration = sum(scans[i].video_duration_s for i in wanted)
    outs = video_with_inband_headers([scans[i].path for i in wanted], workdir, duration_s=duration)
    return dict(zip(wanted, outs, strict=True))


@dataclass(frozen=True)
class JoinWindow:
    """A join's re-encoded window, made ahead of the stitch: clip a from frame ``tail`` on, through the
    transition, and clip b up to frame ``head``; ``frames`` long."""

    path: Path
    tail: int
    head: int
    frames: int


def encode_join_window(
    a: Path, b: Path, transition: Transition, transition_s: float, out: Path
) -> JoinWindow | None:
    """Encode the window joining ``a`` to ``b`` now (e.g. while other clips still render), for a later
    stitch to use as it is; None when the two cannot be joined in a window as they are."""
    first, second = scan_clip(a), scan_clip(b)
    shape = _shape(first)
    if shape is None or shape != _shape(second):
        return None
    if first.signature.video_time_base != second.signature.video_time_base:
        return None
    overlap = max(1, round(transition_s * first.fps))
    cut_a, cut_b = _cut(first, True, False, overlap), _cut(second, False, True, overlap)
    if cut_a is None or cut_b is None:
        return None
    frames = _encode_join(first, second, cut_a, cut_b, transition, overlap, out)
    return JoinWindow(out, cut_a.tail, cut_b.head, frames)


def _encode_joins(
    scans: Sequence[ClipScan],
    cuts: Sequence[_Cut],
    transition: Transition,
    overlap: int,
    ready: dict[int, JoinWindow],
    pool: ThreadPoolExecutor,
    workdir: Path,
) -> list[tuple[Path, int]]:
    """(file, frames) of every join window: a ready one where it fits the cuts, else encoded now."""
    futures: dict[int, Future[int]] = {}
    outs: dict[int, tuple[Path, int]] = {}
    for i in range(len(scans) - 1):
        window = ready.get(i)
        if window is not None and (window.tail, window.head) == (cuts[i].tail, cuts[i + 1].head):
            outs[i] = (window.path, window.frames)
            continue
        path = workdir / f"join_{i}.mp4"
        # The stitch is waited for (the window made ahead, off that path, keeps the smaller house encode).
        futures[i] = pool.submit(
            _encode_join,
            scans[i],
            scans[i + 1],
            cuts[i],
            cuts[i + 1],
            transition,
            overlap,
            path,
            QUICK_PRESET,
        )
    for i, future in futures.items():
        outs[i] = (workdir / f"join_{i}.mp4", future.result())
    return [outs[i] for i in range(len(scans) - 1)]


def windowed_crossfade(
    scans: Sequence[ClipScan],
    transition: Transition,
    transition_s: float,
    soundtrack: Path | None,
    soundtrack_mode: SoundtrackMode,
    workdir: Path,
    out: Path,
    *,
    target_lufs: float | None = None,
    ready: Sequence[JoinWindow | None] = (),
    meters: Sequence[ClipMeter | None] = (),
) -> bool:
    """Join with transitions re-encoding only the join windows; False (nothing written) when not possible.

    With ``target_lufs`` the audio is levelled to that loudness as it is mixed. ``ready[i]``, when given,
    is join i's window made earlier (``encode_join_window``); it is used when clips i and i + 1 are cut
    as it expects, and not had to be converted first. ``meters`` (one per clip, see ``stitch``) level the
    audio without measuring it again.
    """
    originals = [s.path for s in scans]
    prepared = _prepare(list(scans), transition_s, workdir)
    if prepared is None:
        return False
    scans, cuts = prepared
    fps = scans[0].fps
    overlap = max(1, round(transition_s * fps))
    usable = {
        i: window
        for i, window in enumerate(ready)
        if window is not None
        and i + 1 < len(scans)
        and (scans[i].path, scans[i + 1].path) == tuple(originals[i : i + 2])
    }
    copied = [i for i, c in enumerate(cuts) if c.tail > c.head]
    known = tuple(m for m in meters if m is not None)
    joined = JoinedAudio(
        tuple(scans), overlap, fps, soundtrack, soundtrack_mode, known if len(known) == len(scans) else ()
    )
    audio = workdir / "audio.m4a"
    with ThreadPoolExecutor(1) as sound, ThreadPoolExecutor(_WORKERS) as pool:
        # The whole audio track (levelled, encoded) is made while the video parts are: it needs no
        # video, and its AAC encode is then off the path the window encodes are on.
        mixing = sound.submit(encode_joined_audio, joined, audio, target_lufs)
        extracting = pool.submit(_video_only, scans, copied, workdir)
        joins = _encode_joins(scans, cuts, transition, overlap, usable, pool, workdir)
        videos = extracting.result()
        mixing.result()
    parts: list[Part] = []
    for i, cut in enumerate(cuts):
        if i in videos:
            outpoint = None
            if cut.tail < cut.frames:
                # Stop at the decode stamp of the tail keyframe: every packet before it in decode order
                # belongs to the copied GOPs (closed GOPs), every packet from it on to the join window.
                keys = keyframes(videos[i], fps)
                outpoint = keys.dts_s[keys.frames.index(cut.tail)]
            inpoint = float(cut.head / fps) if cut.head else None
            parts.append(Part(videos[i], float((cut.tail - cut.head) / fps), inpoint, outpoint))
        if i < len(joins):
            parts.append(Part(joins[i][0], float(joins[i][1] / fps)))
    _mux(parts, audio, joined.length_s, workdir, out)
    made = len(joins) - len(usable)
    log.info(
        "stitch: %d transitions re-encoded in windows (%d made ahead), %d clip middles copied",
        made,
        len(joins) - made,
        len(videos),
    )
    return True


def _mux(parts: Sequence[Part], audio: Path, length_s: float, workdir: Path, out: Path) -> None:
    """Concat the video parts and put the finished audio track beside them, both by copy."""
    listing = write_listing(parts, workdir / "windows.txt")
    run_ffmpeg(
        [
            "-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(audio),
            "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-bsf:v", REZERO_VIDEO, "-c:a", "copy",
            "-t", num(length_s), *mp4_args(), str(out),
        ],
        timeout_s=120 + length_s,
    )  # fmt: skip
