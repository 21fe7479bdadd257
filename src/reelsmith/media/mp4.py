"""Read an MP4/MOV file's index (its ``moov`` box) directly, without libav.

Opening a clip with libav costs the library's import (tens of milliseconds) and a decode of its first
frames, while the stitcher's copy path only needs what the index already says: track timescales, sample
counts and durations, edit lists and the codec headers. ``read_index`` reads just that. It returns None for
anything it does not fully understand -- not ISO BMFF, fragmented, codecs other than H.264 and AAC-LC, an
H.264 header it cannot parse -- and callers then fall back to libav, so a None costs speed, never a
wrong answer.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from reelsmith.media.h264 import SpsInfo, first_sps

# Top-level boxes a plain MP4/MOV may start with; anything else is not a file this reader knows.
_FIRST_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pdin", b"uuid"})
# An index larger than this is not a clip's; libav can deal with it.
_MAX_MOOV_BYTES = 64 << 20
_AAC_SAMPLE_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
_AAC_LC = 2
_MPEG4_AUDIO = 0x40


class _Unreadable(Exception):
    """Raised inside the reader for anything it does not understand; ``read_index`` turns it into None."""


@dataclass(frozen=True)
class Edit:
    """The first edit of a track: how long it plays (movie timescale) and where in the media it starts."""

    segment_duration: int
    media_time: int


@dataclass(frozen=True)
class VideoTrack:
    """An H.264 track as the index describes it."""

    timescale: int
    sample_count: int
    stts_duration: int
    media_duration: int
    edit: Edit | None
    width: int
    height: int
    pix_fmt: str
    extradata: bytes

    @property
    def average_rate(self) -> Fraction:
        """Frames per second over the whole track, as libav computes it from the sample table."""
        return Fraction(self.timescale * self.sample_count, self.stts_duration)


@dataclass(frozen=True)
class AudioTrack:
    """An AAC-LC track as the index describes it, with what libav derives from its edit list.

    ``duration`` is the played length in the track's timescale and ``priming`` the number of leading
    packets the edit list skips (the encoder delay), which libav returns with negative timestamps.
    """

    timescale: int
    sample_count: int
    stts_duration: int
    media_duration: int
    edit: Edit | None
    duration: int
    priming: int
    sample_rate: int
    channels: int
    frame_size: int
    extradata: bytes


@dataclass(frozen=True)
class Mp4Index:
    """The movie header and the first video and audio tracks of a file."""

    movie_timescale: int
    movie_duration: int
    moov_size: int
    video: VideoTrack | None
    audio: AudioTrack | None

    @property
    def duration_us(self) -> int:
        """The movie's duration in microseconds, rounded the way libav reports a container's duration."""
        return (self.movie_duration * 1_000_000 + self.movie_timescale // 2) // self.movie_timescale


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise _Unreadable
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise _Unreadable
        yield kind, pos + header, pos + size
        pos += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int]:
    for found, s, e in _boxes(data, start, end):
        if found == kind:
            return s, e
    raise _Unreadable


def _maybe_child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    try:
        return _child(data, start, end, kind)
    except _Unreadable:
        return None


def _find_moov(f: BinaryIO, file_size: int) -> bytes:
    """The payload of the file's top-level moov box, walking the top level by headers only."""
    pos = 0
    first = True
    while pos + 8 <= file_size:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            break
        size, kind = struct.unpack_from(">I4s", header)
        if first and kind not in _FIRST_BOXES:
            raise _Unreadable
        first = False
        skip = 8
        if size == 1:
            if len(header) < 16:
                raise _Unreadable
            (size,) = struct.unpack_from(">Q", header, 8)
            skip = 16
        elif size == 0:
            size = file_size - pos
        if size < skip:
            raise _Unreadable
        if kind == b"moov":
            if size > _MAX_MOOV_BYTES or pos + size > file_size:
                raise _Unreadable
            f.seek(pos + skip)
            return f.read(size - skip)
        if kind == b"moof":
            raise _Unreadable  # fragmented files keep their samples outside the index
        pos += size
    raise _Unreadable


def _full_box_version(data: bytes, start: int) -> int:
    return data[start]


def _movie_header(data: bytes, start: int) -> tuple[int, int]:
    if _full_box_version(data, start) == 1:
        timescale, duration = struct.unpack_from(">IQ", data, start + 20)
    else:
        timescale, duration = struct.unpack_from(">II", data, start + 12)
    if timescale <= 0:
        raise _Unreadable
    return timescale, duration


def _first_edit(data: bytes, trak: tuple[int, int]) -> Edit | None:
    edts = _maybe_child(data, *trak, b"edts")
    if edts is None:
        return None
    elst = _maybe_child(data, *edts, b"elst")
    if elst is None:
        return None
    start, _ = elst
    (count,) = struct.unpack_from(">I", data, start + 4)
    if count == 0:
        return None
    if count > 1:
        raise _Unreadable  # several edits (gaps, repeats) are libav's business
    # Version 1 edits use 64-bit duration and media time; both are followed by a 16.16 rate.
    layout = ">Qqi" if _full_box_version(data, start) == 1 else ">Iii"
    seg, media_time, rate = struct.unpack_from(layout, data, start + 8)
    if rate != 1 << 16 or media_time < 0:
        raise _Unreadable
    return Edit(seg, media_time)


def _sample_table(data: bytes, stbl: tuple[int, int]) -> tuple[int, int]:
    """(sample count, total duration in the track's timescale) from stsz and stts."""
    stsz, _ = _child(data, *stbl, b"stsz")
    (count,) = struct.unpack_from(">I", data, stsz + 8)
    stts, stts_end = _child(data, *stbl, b"stts")
    (entries,) = struct.unpack_from(">I", data, stts + 4)
    if stts + 8 + 8 * entries > stts_end:
        raise _Unreadable
    pairs = struct.unpack_from(f">{2 * entries}I", data, stts + 8)
    counted = sum(pairs[0::2])
    if counted != count:
        raise _Unreadable
    return count, sum(n * delta for n, delta in zip(pairs[0::2], pairs[1::2], strict=True))


def _descriptor(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, payload start, payload end) of an MPEG-4 descriptor at ``pos``."""
    if pos >= end:
        raise _Unreadable
    tag = data[pos]
    pos += 1
    length = 0
    for _ in range(4):
        if pos >= end:
            raise _Unreadable
        byte = data[pos]
        pos += 1
        length = (length << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    if pos + length > end:
        raise _Unreadable
    return tag, pos, pos + length


def _aac_config(data: bytes, esds: tuple[int, int]) -> bytes:
    """The AudioSpecificConfig inside an esds box (MPEG-4 audio only)."""
    start, end = esds
    tag, pos, es_end = _descriptor(data, start + 4, end)
    if tag != 0x03:
        raise _Unreadable
    flags = data[pos + 2]
    pos += 3
    if flags & 0x80:
        pos += 2
    if flags & 0x40:
        pos += 1 + data[pos]
    if flags & 0x20:
        pos += 2
    tag, pos, config_end = _descriptor(data, pos, es_end)
    if tag != 0x04 or data[pos] != _MPEG4_AUDIO:
        raise _Unreadable
    tag, pos, info_end = _descriptor(data, pos + 13, config_end)
    if tag != 0x05:
        raise _Unreadable
    return data[pos:info_end]


def _aac_lc(config: bytes) -> tuple[int, int]:
    """(sample rate, channels) of a plain AAC-LC AudioSpecificConfig; other profiles are not read here."""
    if len(config) < 2:
        raise _Unreadable
    bits = int.from_bytes(config[:2], "big")
    object_type, rate_index, channel_config = bits >> 11, (bits >> 7) & 0xF, (bits >> 3) & 0xF
    frame_length_960 = (bits >> 2) & 1
    if object_type != _AAC_LC or rate_index >= len(_AAC_SAMPLE_RATES) or frame_length_960:
        raise _Unreadable
    if not 1 <= channel_config <= 7:
        raise _Unreadable  # 0 means a program config element, which libav interprets
    channels = 8 if channel_config == 7 else channel_config
    return _AAC_SAMPLE_RATES[rate_index], channels


def _video_entry(data: bytes, entry: tuple[bytes, int, int]) -> tuple[int, int, str, bytes]:
    kind, start, end = entry
    if kind not in (b"avc1", b"avc3"):
        raise _Unreadable
    width, height = struct.unpack_from(">HH", data, start + 24)
    s, e = _child(data, start + 78, end, b"avcC")
    avcc = data[s:e]
    sps = _first_sps(avcc)
    if (sps.width, sps.height) != (width, height):
        raise _Unreadable  # let libav decide which of the two sizes it reports
    return width, height, sps.pix_fmt, avcc


def _first_sps(avcc: bytes) -> SpsInfo:
    sps = first_sps(avcc)
    if sps is None:
        raise _Unreadable
    return sps


def _audio_entry(data: bytes, entry: tuple[bytes, int, int]) -> tuple[int, int, bytes]:
    kind, start, end = entry
    if kind != b"mp4a":
        raise _Unreadable
    (version,) = struct.unpack_from(">H", data, start + 8)
    children = start + {0: 28, 1: 44, 2: 64}.get(version, -1)
    if children < start:
        raise _Unreadable
    esds = _maybe_child(data, children, end, b"esds")
    if esds is None:
        wave = _child(data, children, end, b"wave")  # QuickTime keeps esds one level down
        esds = _child(data, *wave, b"esds")
    config = _aac_config(data, esds)
    rate, channels = _aac_lc(config)
    return rate, channels, config


def _played(edit: Edit | None, stts_duration: int, timescale: int, movie_timescale: int) -> int:
    """The played length of a track in its own timescale: its edit, or all of its samples."""
    if edit is None:
        return stts_duration
    played = (edit.segment_duration * timescale + movie_timescale // 2) // movie_timescale
    if played > stts_duration - edit.media_time:
        raise _Unreadable  # an edit running past the samples: libav trims it in its own way
    return played


def _track(data: bytes, trak: tuple[int, int], movie_timescale: int) -> VideoTrack | AudioTrack | None:
    mdia = _child(data, *trak, b"mdia")
    hdlr, _ = _child(data, *mdia, b"hdlr")
    handler = data[hdlr + 8 : hdlr + 12]
    if handler not in (b"vide", b"soun"):
        return None
    mdhd, _ = _child(data, *mdia, b"mdhd")
    timescale, media_duration = _movie_header(data, mdhd)
    stbl = _child(data, *_child(data, *mdia, b"minf"), b"stbl")
    stsd, stsd_end = _child(data, *stbl, b"stsd")
    (entries,) = struct.unpack_from(">I", data, stsd + 4)
    if entries != 1:
        raise _Unreadable
    entry = next(_boxes(data, stsd + 8, stsd_end))
    count, stts_duration = _sample_table(data, stbl)
    if count == 0 or stts_duration == 0:
        raise _Unreadable
    edit = _first_edit(data, trak)
    if handler == b"vide":
        width, height, pix_fmt, avcc = _video_entry(data, entry)
        return VideoTrack(timescale, count, stts_duration, media_duration, edit, width, height, pix_fmt, avcc)
    rate, channels, config = _audio_entry(data, entry)
    frame_size = 1024
    played = _played(edit, stts_duration, timescale, movie_timescale)
    priming = -(-edit.media_time // frame_size) if edit else 0
    return AudioTrack(
        timescale, count, stts_duration, media_duration, edit, played, priming, rate, channels,
        frame_size, config,
    )  # fmt: skip


def _index(moov: bytes) -> Mp4Index:
    if _maybe_child(moov, 0, len(moov), b"mvex") is not None:
        raise _Unreadable
    mvhd, _ = _child(moov, 0, len(moov), b"mvhd")
    movie_timescale, movie_duration = _movie_header(moov, mvhd)
    video: VideoTrack | None = None
    audio: AudioTrack | None = None
    for kind, start, end in _boxes(moov, 0, len(moov)):
        if kind != b"trak":
            continue
        track = _track(moov, (start, end), movie_timescale)
        if isinstance(track, VideoTrack) and video is None:
            video = track
        elif isinstance(track, AudioTrack) and audio is None:
            audio = track
    if video is None and audio is None:
        raise _Unreadable
    return Mp4Index(movie_timescale, movie_duration, len(moov) + 8, video, audio)


def read_index(path: Path) -> Mp4Index | None:
    """The index of the MP4/MOV at ``path``, or None when this reader cannot vouch for every field."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            return _index(_find_moov(f, size))
    except (_Unreadable, struct.error, IndexError, StopIteration, OSError):
        return None
