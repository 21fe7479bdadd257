"""Join clips into one MP4: stream copy when they match, normalise only what differs, transitions in windows.

Paths, fastest first: pure stream copy (video and AAC, see ``concat``); video copy with the audio rebuilt
(a soundtrack, or AAC that cannot be copied); normalise the odd clips, then copy; transitions re-encoding
only the windows around joins (``windowed``); transitions through one full filter graph (``crossfade``).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from reelsmith.errors import InvalidInput, MediaError
from reelsmith.media.encode import audio_args, fps_fraction, mp4_args
from reelsmith.media.ffmpeg import CONCAT_ENTRY_OPTION, run_ffmpeg
from reelsmith.media.filters import num
from reelsmith.media.h264 import first_sps
from reelsmith.media.probe import MediaInfo, probe
from reelsmith.media.stitch.concat import REZERO_VIDEO, copy_join
from reelsmith.media.stitch.normalise import Target, audio_chain, normalise_clip
from reelsmith.media.stitch.scan import ClipScan, scan_clip
from reelsmith.media.stitch.soundtrack import SoundtrackMode, soundtrack_chain, soundtrack_mode
from reelsmith.media.stitch.streams import StreamSignature, signature
from reelsmith.vocabulary import Transition

if TYPE_CHECKING:
    from reelsmith.media.stitch.meter import ClipMeter
    from reelsmith.media.stitch.windowed import JoinWindow

log = logging.getLogger(__name__)

_NORMALISE_WORKERS = 2


def _copyable(sig: StreamSignature, target: Target) -> bool:
    """True when a clip's video can be stream-copied into the target format (whoever encoded it).

    The audio does not matter (it is always rebuilt), nor do the codec headers: copies from other
    encoders carry their own parameter sets in-band. Non-square pixels are left to the normaliser.
    """
    sps = first_sps(sig.video_extradata)
    return (
        sig.video_codec == "h264"
        and sig.pix_fmt == "yuv420p"
        and (sig.width, sig.height) == (target.width, target.height)
        and fps_fraction(sig.fps) == target.fps
        and sig.video_time_base == target.time_base
        and sps is not None
        and sps.square_pixels
    )


def _concat_list(paths: Sequence[Path], workdir: Path) -> Path:
    listing = workdir / "concat.txt"
    quoted = (str(p.resolve()).replace("'", "'\\''") for p in paths)
    # Each file is read as media only, never as a listing of its own.
    listing.write_text("".join(f"file '{q}'\n{CONCAT_ENTRY_OPTION}\n" for q in quoted), encoding="utf-8")
    return listing


def _concat_copy(
    paths: Sequence[Path],
    infos: Sequence[MediaInfo],
    audio: Path | None,
    mode: SoundtrackMode,
    out: Path,
    *,
    videos: Sequence[Path] | None = None,
) -> None:
    """Concat demuxer with video stream copy; the audio is decoded per clip, joined and re-encoded.

    Copying AAC through the concat demuxer would carry every clip's encoder priming and padding into the
    joined track (about 21 ms of drift per seam), so the audio -- cheap to encode -- is rebuilt instead,
    each clip's share trimmed or padded to exactly its duration. The video comes from ``videos`` when
    given (copies of the clips' video with their headers in-band), else from the clips themselves.
    """
    total = sum(i.duration_s for i in infos)
    args = ["-f", "concat", "-safe", "0", "-i", str(_concat_list(videos or paths, out.parent))]
    chains = []
    for n, (path, info) in enumerate(zip(paths, infos, strict=True), start=1):
        args += ["-i", str(path)]
        chains.append(audio_chain(f"{n}:a:0" if info.has_audio else None, info.duration_s, f"a{n}"))
    labels = "".join(f"[a{n}]" for n in range(1, len(paths) + 1))
    chains.append(f"{labels}concat=n={len(paths)}:v=0:a=1[joined]")
    audio_label = "joined"
    if audio is not None:
        args += ["-i", str(audio)]
        chains.append(soundtrack_chain("joined", f"{len(paths) + 1}:a:0", total, "mix", mode=mode))
        audio_label = "mix"
    run_ffmpeg(
        [
            *args,
            "-filter_complex",
            ";".join(chains),
            "-map",
            "0:v:0",
            "-map",
            f"[{audio_label}]",
            # The demuxer shifts video by the first clip's audio priming; start it at zero again.
            "-c:v",
            "copy",
            "-bsf:v",
            REZERO_VIDEO,
            *audio_args(),
            "-t",
            num(total),
            *mp4_args(),
            str(out),
        ],
        timeout_s=120 + total,
    )


def _normalise(
    clips: Sequence[Path],
    infos: Sequence[MediaInfo],
    which: Sequence[int],
    target: Target,
    parts: list[Path],
    workdir: Path,
) -> None:
    """Normalise the clips at ``which`` into ``parts``, two at a time (decode and scaling are serial)."""
    for i in which:
        parts[i] = workdir / f"norm_{i}.mp4"
    with ThreadPoolExecutor(_NORMALISE_WORKERS) as pool:
        for job in [pool.submit(normalise_clip, clips[i], infos[i], target, parts[i]) for i in which]:
            job.result()


def _join(
    scans: Sequence[ClipScan], audio: Path | None, mode: SoundtrackMode, workdir: Path, out: Path
) -> None:
    """Copy path when every clip matches the first; otherwise normalise only the clips that must be."""
    clips = [s.path for s in scans]
    infos = [s.info for s in scans]
    target = Target.from_first(infos[0])
    sigs = [s.signature for s in scans]
    if sigs[0].video_codec == "h264" and sigs[0].pix_fmt == "yuv420p" and all(s == sigs[0] for s in sigs):
        if audio is None and copy_join(scans, out):
            log.info("stitch: %d compatible clips, video and audio stream copy", len(clips))
            return
        log.info("stitch: %d compatible clips, video stream copy", len(clips))
        _concat_copy(clips, infos, audio, mode, out)
        return
    parts = list(clips)
    redone = [i for i, sig in enumerate(sigs) if not _copyable(sig, target)]
    _normalise(clips, infos, redone, target, parts, workdir)
    part_infos = [probe(p) if i in redone else infos[i] for i, p in enumerate(parts)]
    headers = {
        signature(p, part_infos[i]).video_extradata if i in redone else sigs[i].video_extradata
        for i, p in enumerate(parts)
    }
    videos = None
    if len(headers) > 1:
        from reelsmith.media.stitch.inband import video_with_inband_headers

        videos = video_with_inband_headers(parts, workdir, duration_s=sum(i.duration_s for i in part_infos))
    log.info(
        "stitch: normalised %d of %d clips, then stream copy%s",
        len(redone),
        len(clips),
        " with each clip's headers in-band" if videos else "",
    )
    _concat_copy(parts, part_infos, audio, mode, out, videos=videos)


def _fade(
    scans: Sequence[ClipScan],
    transition: Transition,
    transition_s: float,
    soundtrack: Path | None,
    mode: SoundtrackMode,
    workdir: Path,
    out: Path,
    target_lufs: float | None,
    ready: Sequence[JoinWindow | None],
    meters: Sequence[ClipMeter | None],
) -> bool:
    """Transitions re-encoding only the windows around joins, or the whole video when that cannot be done.

    True when the audio was also levelled to ``target_lufs`` on the way (the windowed path does that).
    """
    # Imported here: `reelsmith stitch` without a transition never needs the transition code.
    from reelsmith.media.stitch.crossfade import crossfade
    from reelsmith.media.stitch.windowed import uncuttable, windowed_crossfade

    if windowed_crossfade(
        scans, transition, transition_s, soundtrack, mode, workdir, out,
        target_lufs=target_lufs, ready=ready, meters=meters,
    ):  # fmt: skip
        return target_lufs is not None
    reasons = "; ".join(f"clip {i}: {why}" for i, s in enumerate(scans) if (why := uncuttable(s)))
    # Every clip cuttable on its own: what failed was their timing (an MP4 timescale not 1/n, or
    # keyframes too sparse even after re-encoding).
    reasons = reasons or "their keyframes or timescale"
    log.info("stitch: no common format to cut the clips to (%s); full transition re-encode", reasons)
    paths, infos = [s.path for s in scans], [s.info for s in scans]
    crossfade(paths, infos, transition, transition_s, soundtrack, out, soundtrack_mode=mode)
    return False


def stitch(
    clips: Sequence[Path],
    dest: Path,
    *,
    transition: str = Transition.NONE,
    transition_s: float = 0.5,
    audio: Path | None = None,
    duck: bool = False,
    replace_audio: bool = False,
    target_lufs: float | None = None,
    ready_windows: Sequence[JoinWindow | None] = (),
    meters: Sequence[ClipMeter | None] = (),
) -> MediaInfo:
    """Join ``clips`` into an H.264/AAC MP4 at ``dest`` (written atomically) and return its MediaInfo.

    With ``audio``, the song is mixed under the clips' sound, ducked by it (``duck``) or replaces it
    (``replace_audio``); ``target_lufs`` then levels the final loudness (EBU R128, one peak-limited gain).
    ``ready_windows[i]``, when given, is join i's transition window made ahead of time
    (``media.stitch.windowed.encode_join_window``); the stitch uses it where it still fits. ``meters[i]``,
    when given for every clip, is clip i's loudness measured on its arrival: levelling then needs no pass
    of its own over the joined audio.
    """
    if not clips:
        raise MediaError("stitch needs at least one clip")
    try:
        kind = Transition(transition)
    except ValueError:
        raise InvalidInput(
            "transition", f"must be one of {', '.join(Transition)}, not {transition!r}"
        ) from None
    mode = soundtrack_mode(duck=duck, replace_audio=replace_audio)
    paths = [Path(c) for c in clips]
    # libav opens and reads headers with the GIL released, so scanning clips side by side saves most
    # of the per-clip cost on the copy path (where it is the only work besides the ffmpeg run).
    with ThreadPoolExecutor(max_workers=min(8, len(paths))) as pool:
        scans = list(pool.map(scan_clip, paths))
    infos = [s.info for s in scans]
    soundtrack = Path(audio) if audio is not None else None
    if soundtrack is not None and not probe(soundtrack).has_audio:
        raise MediaError(f"soundtrack {soundtrack} has no audio stream")
    if soundtrack is None and mode is not SoundtrackMode.MIX:
        raise InvalidInput("audio", "duck and replace_audio need a soundtrack")
    fading = kind is not Transition.NONE and len(paths) > 1
    if fading and not 0 < transition_s < min(i.duration_s for i in infos):
        raise InvalidInput("transition_s", f"must be > 0 and shorter than every clip, not {transition_s!r}")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # The work folder sits next to dest so the final os.replace is an atomic rename on one filesystem.
    with tempfile.TemporaryDirectory(prefix=f".{dest.name}.", dir=dest.parent) as tmp:
        workdir = Path(tmp)
        out = workdir / "stitched.mp4"
        levelled = False
        if fading:
            levelled = _fade(
                scans, kind, transition_s, soundtrack, mode, workdir, out, target_lufs, ready_windows, meters
            )
        else:
            _join(scans, soundtrack, mode, workdir, out)
        if target_lufs is not None and not levelled:
            from reelsmith.media.loudness import normalise_loudness

            normalise_loudness(out, workdir / "levelled.mp4", target_lufs)
            out = workdir / "levelled.mp4"
        os.replace(out, dest)
    return probe(dest)
