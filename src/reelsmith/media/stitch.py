"""Join clips into one MP4: stream copy when they match, normalise what differs, or cross-fade them all."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from reelsmith.errors import InvalidInput, MediaError
from reelsmith.media.encode import audio_args, mp4_args
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.filters import num
from reelsmith.media.normalise import Target, audio_chain, normalise_clip
from reelsmith.media.probe import MediaInfo, probe
from reelsmith.media.soundtrack import soundtrack_chain
from reelsmith.media.streams import StreamSignature, signature
from reelsmith.media.transitions import TRANSITIONS, crossfade

log = logging.getLogger(__name__)


def _probe_clip(path: Path) -> MediaInfo:
    try:
        info = probe(path)
    except MediaError as e:
        raise MediaError(f"cannot stitch {path}: {e.message}") from e
    if not info.has_video or info.duration_s <= 0:
        raise MediaError(f"cannot stitch {path}: it has no video to join")
    return info


def _copyable(sig: StreamSignature, ref: StreamSignature, target: Target) -> bool:
    """True when a clip can be stream-copied next to the reference clip in the target format."""
    return (
        sig == ref
        and sig.is_target_codecs
        and (sig.width, sig.height) == (target.width, target.height)
        and sig.video_time_base == target.time_base
    )


def _concat_list(paths: Sequence[Path], workdir: Path) -> Path:
    listing = workdir / "concat.txt"
    quoted = (str(p.resolve()).replace("'", "'\\''") for p in paths)
    listing.write_text("".join(f"file '{q}'\n" for q in quoted), encoding="utf-8")
    return listing


def _concat_copy(paths: Sequence[Path], infos: Sequence[MediaInfo], audio: Path | None, out: Path) -> None:
    """Concat demuxer with video stream copy; the audio is decoded per clip, joined and re-encoded.

    Copying AAC through the concat demuxer would carry every clip's encoder priming and padding into the
    joined track (about 21 ms of drift per seam), so the audio -- cheap to encode -- is rebuilt instead,
    each clip's share trimmed or padded to exactly its duration.
    """
    total = sum(i.duration_s for i in infos)
    args = ["-f", "concat", "-safe", "0", "-i", str(_concat_list(paths, out.parent))]
    chains = []
    for n, (path, info) in enumerate(zip(paths, infos, strict=True), start=1):
        args += ["-i", str(path)]
        chains.append(audio_chain(f"{n}:a:0" if info.has_audio else None, info.duration_s, f"a{n}"))
    labels = "".join(f"[a{n}]" for n in range(1, len(paths) + 1))
    chains.append(f"{labels}concat=n={len(paths)}:v=0:a=1[joined]")
    audio_label = "joined"
    if audio is not None:
        args += ["-i", str(audio)]
        chains.append(soundtrack_chain("joined", f"{len(paths) + 1}:a:0", total, "mix"))
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
            "setts=pts=PTS-STARTPTS:dts=DTS-STARTPTS",
            *audio_args(),
            "-t",
            num(total),
            *mp4_args(),
            str(out),
        ],
        timeout_s=120 + total,
    )


def _join(
    clips: Sequence[Path], infos: Sequence[MediaInfo], audio: Path | None, workdir: Path, out: Path
) -> None:
    """Copy path when every clip matches the first; otherwise normalise only the clips that differ."""
    target = Target.from_first(infos[0])
    sigs = [signature(p, i) for p, i in zip(clips, infos, strict=True)]
    if all(s == sigs[0] for s in sigs) and sigs[0].video_codec == "h264" and sigs[0].pix_fmt == "yuv420p":
        log.info("stitch: %d compatible clips, stream copy", len(clips))
        _concat_copy(clips, infos, audio, out)
        return
    ref = sigs[0]
    parts = list(clips)
    redone: list[int] = []
    for i, (clip, info, sig) in enumerate(zip(clips, infos, sigs, strict=True)):
        if not _copyable(sig, ref, target):
            parts[i] = workdir / f"norm_{i}.mp4"
            normalise_clip(clip, info, target, parts[i])
            redone.append(i)
    if redone and len(redone) < len(clips):
        # Copied and re-encoded parts must share codec headers, or the joined stream would not decode.
        fresh = signature(parts[redone[0]], probe(parts[redone[0]]))
        if fresh != ref:
            for i, (clip, info) in enumerate(zip(clips, infos, strict=True)):
                if i not in redone:
                    parts[i] = workdir / f"norm_{i}.mp4"
                    normalise_clip(clip, info, target, parts[i])
            redone = list(range(len(clips)))
    log.info("stitch: normalised %d of %d clips, then stream copy", len(redone), len(clips))
    _concat_copy(parts, [probe(p) if i in redone else infos[i] for i, p in enumerate(parts)], audio, out)


def stitch(
    clips: Sequence[Path],
    dest: Path,
    *,
    transition: str = "none",
    transition_s: float = 0.5,
    audio: Path | None = None,
) -> MediaInfo:
    """Join ``clips`` into an H.264/AAC MP4 at ``dest`` (written atomically) and return its MediaInfo."""
    if not clips:
        raise MediaError("stitch needs at least one clip")
    if transition not in TRANSITIONS:
        raise InvalidInput("transition", f"must be one of {', '.join(TRANSITIONS)}, not {transition!r}")
    paths = [Path(c) for c in clips]
    infos = [_probe_clip(p) for p in paths]
    soundtrack = Path(audio) if audio is not None else None
    if soundtrack is not None and not probe(soundtrack).has_audio:
        raise MediaError(f"soundtrack {soundtrack} has no audio stream")
    fading = transition != "none" and len(paths) > 1
    if fading and not 0 < transition_s < min(i.duration_s for i in infos):
        raise InvalidInput("transition_s", f"must be > 0 and shorter than every clip, not {transition_s!r}")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # The work folder sits next to dest so the final os.replace is an atomic rename on one filesystem.
    with tempfile.TemporaryDirectory(prefix=f".{dest.name}.", dir=dest.parent) as tmp:
        workdir = Path(tmp)
        out = workdir / "stitched.mp4"
        if fading:
            crossfade(paths, infos, transition, transition_s, soundtrack, out)
        else:
            _join(paths, infos, soundtrack, workdir, out)
        os.replace(out, dest)
    return probe(dest)
