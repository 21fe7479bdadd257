"""The concat demuxer as the stitcher uses it: listings with exact durations, and a pure stream-copy join.

Joining AAC by plain stream copy carries every clip's encoder priming (and tail padding) into the output,
about 21 ms of drift per seam. ``copy_join`` copies the AAC packets too, but drops each later clip's
priming packet and any padding packets, chosen against the running video end so the audio never drifts
more than half a packet (10.7 ms) from the video, then renumbers the audio packets back to back. The
one packet after each seam decodes without its true predecessor; the clips' own fades make that inaudible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reelsmith.media.encode import mp4_args
from reelsmith.media.ffmpeg import CONCAT_ENTRY_OPTION, FfmpegFailed, run_ffmpeg
from reelsmith.media.stitch.scan import ClipScan, aligned_packet_counts

# The concat demuxer offsets every stream by the first file's earliest stamp (the AAC priming), so the
# video is moved back to zero; its decode stamps keep their B-frame lead.
REZERO_VIDEO = "setts=pts=PTS-STARTPTS:dts=DTS-STARTPTS"

# Room for the joined file's index: ffmpeg's own MP4s need about 11 bytes per sample (sizes, chunk offsets,
# composition offsets); the margin covers other muxers' layouts, and a shortfall falls back to faststart.
_INDEX_BYTES_PER_SAMPLE = 16
_INDEX_FIXED_BYTES = 32 * 1024
# ffmpeg's own wording (its MP4 muxer) when the index outgrows the room -moov_size kept for it.
_FFMPEG_INDEX_ROOM_TOO_SMALL = "reserved_moov_size is too small"


@dataclass(frozen=True)
class Part:
    """One entry of a concat listing: a file, how long it lasts, and optionally where to start and stop."""

    path: Path
    duration_s: float
    inpoint_s: float | None = None
    outpoint_s: float | None = None


def _quote(path: Path) -> str:
    return "'" + str(path.resolve()).replace("'", "'\\''") + "'"


def write_listing(parts: Sequence[Part], dest: Path) -> Path:
    """Write a concat listing; explicit durations make each part start exactly where the last one ended."""
    lines: list[str] = []
    for part in parts:
        lines.append(f"file {_quote(part.path)}")
        lines.append(CONCAT_ENTRY_OPTION)  # the file is read as media only, never as a listing itself
        if part.inpoint_s is not None:
            lines.append(f"inpoint {part.inpoint_s:.6f}")
        if part.outpoint_s is not None:
            lines.append(f"outpoint {part.outpoint_s:.6f}")
        lines.append(f"duration {part.duration_s:.6f}")
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def _drop_ranges(scans: Sequence[ClipScan], keep: Sequence[int]) -> list[tuple[int, int]]:
    """Audio packet index ranges (inclusive, in joined order) to drop: later priming and surplus padding."""
    ranges: list[tuple[int, int]] = []
    offset = 0
    for i, (scan, kept) in enumerate(zip(scans, keep, strict=True)):
        assert scan.audio is not None
        priming, real = scan.audio.priming, scan.audio.real
        if i > 0 and priming:
            ranges.append((offset, offset + priming - 1))
        if kept < real:
            ranges.append((offset + priming + kept, offset + priming + real - 1))
        offset += priming + real
    return ranges


def copy_join(scans: Sequence[ClipScan], out: Path) -> bool:
    """Join compatible clips by copying video and audio; False (nothing written) when the AAC can't be."""
    keep = aligned_packet_counts(list(scans))
    first = scans[0].audio
    if keep is None or first is None:
        return False
    listing = write_listing(
        [Part(s.path, s.video_duration_s) for s in scans], out.with_name(f"{out.stem}.concat.txt")
    )
    filters: list[str] = []
    ranges = _drop_ranges(scans, keep)
    if ranges:
        # Commas inside the expression are escaped: the -bsf value is itself a comma-separated list.
        test = "+".join(f"between(n\\,{a}\\,{b})" for a, b in ranges)
        filters.append(f"noise=drop='{test}'")
    # Back-to-back audio stamps; the first clip's priming stays before zero, where the MP4 edit list skips it.
    filters.append(f"setts=ts=(N-{first.priming})*{first.frame_size}/{first.sample_rate}/TB")
    args = [
        "-f", "concat", "-safe", "0", "-i", str(listing),
        "-map", "0:v:0", "-map", "0:a:0", "-c", "copy",
        "-bsf:v", REZERO_VIDEO, "-bsf:a", ",".join(filters),
    ]  # fmt: skip
    timeout_s = 60 + sum(s.video_duration_s for s in scans) / 4
    # Writing the index into room left at the front spares a second pass over the whole output, which
    # for a stream copy is most of what the join costs beyond reading the clips.
    samples = sum(s.video_frames + s.audio.priming + s.audio.real for s in scans if s.audio is not None)
    room = _INDEX_FIXED_BYTES + _INDEX_BYTES_PER_SAMPLE * samples
    write_with_index_room(args, out, room, timeout_s=timeout_s)
    return True


def index_room(samples: int) -> int:
    """Bytes to reserve up front for the MP4 index of ``samples`` samples (video frames + audio packets)."""
    return _INDEX_FIXED_BYTES + _INDEX_BYTES_PER_SAMPLE * samples


def write_with_index_room(args: Sequence[str], out: Path, room: int, *, timeout_s: float) -> None:
    """Run ffmpeg ``args`` into the MP4 ``out`` with ``room`` bytes kept for the index at the front.

    Should the index outgrow the room, the run is repeated with a faststart pass instead.
    """
    try:
        run_ffmpeg([*args, *mp4_args(reserve_index_bytes=room), str(out)], timeout_s=timeout_s)
    except FfmpegFailed as e:
        if not index_room_ran_out(e):
            raise
        run_ffmpeg([*args, *mp4_args(), str(out)], timeout_s=timeout_s)


def index_room_ran_out(failure: FfmpegFailed) -> bool:
    """True when ffmpeg failed because the index outgrew the room reserved for it (read from its stderr).

    ffmpeg reports this only as text, so its stderr is the one place to learn it from.
    """
    return _FFMPEG_INDEX_ROOM_TOO_SMALL in failure.stderr_tail
