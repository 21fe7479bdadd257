"""The MP4 index reader must report exactly what libav reports, and step aside for what it cannot read."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.h264 import parse_sps
from reelsmith.media.mp4 import read_index
from reelsmith.media.probe import describe, describe_index, open_media, probe
from reelsmith.media.stitch.scan import scan_clip, scan_with_libav

# name -> ffmpeg arguments making a short file: the encodings the stitcher meets, and some it must not
# misread (full range, 4:4:4, 10 bit, no edit list, QuickTime, odd lengths, audio-only, B-frames).
_VARIANTS: dict[str, list[str]] = {
    "reelsmith.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=1.1", "-f", "lavfi", "-i", "sine=r=48000:d=1.1",
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
        "-video_track_timescale", "15360", "-x264-params", "stitchable=1",
        "-c:a", "aac", "-ar", "48000", "-ac", "2", "-movflags", "+faststart",
    ],
    "baseline_1080p25_mono44k.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=25:d=0.5", "-f", "lavfi", "-i", "sine=r=44100:d=0.6",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "1",
    ],
    "ntsc_full_range.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30000/1001:d=0.7",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuvj420p",
    ],
    "short_odd_lengths.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=352x288:r=30:d=0.2333", "-f", "lavfi", "-i", "sine=r=48000:d=0.25",
        "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-ar", "48000",
    ],
    "no_edit_list.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=1", "-f", "lavfi", "-i", "sine=r=48000:d=1.2",
        "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-use_editlist", "0",
    ],
    "quicktime.mov": [
        "-f", "lavfi", "-i", "testsrc2=s=426x240:r=24:d=0.8", "-f", "lavfi", "-i", "sine=r=44100:d=0.9",
        "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac",
    ],
    "yuv444.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=0.5",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p",
    ],
    "ten_bit.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=0.5",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
    ],
    "song.m4a": ["-f", "lavfi", "-i", "sine=r=44100:d=1.3", "-c:a", "aac"],
    "cropped_sar.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=318x238:r=30:d=0.5",
        "-vf", "setsar=4/3", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    ],
}  # fmt: skip

# Files the reader must hand to libav: other codecs, other containers, fragmented MP4.
_FOREIGN: dict[str, list[str]] = {
    "mpeg4_part2.mp4": ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=0.5", "-c:v", "mpeg4"],
    "mp3_audio.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=0.5", "-f", "lavfi", "-i", "sine=r=44100:d=0.5",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libmp3lame",
    ],
    "matroska.mkv": ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=0.5", "-c:v", "libx264"],
    "fragmented.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=1", "-c:v", "libx264", "-preset", "ultrafast",
        "-movflags", "frag_keyframe+empty_moov",
    ],
}  # fmt: skip


def _make(directory: Path, name: str, args: list[str]) -> Path:
    dest = directory / name
    if not dest.exists():
        run_ffmpeg([*args, str(dest)])
    return dest


@pytest.fixture(scope="module")
def variants_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mp4_variants")


@pytest.mark.parametrize("name", sorted(_VARIANTS))
def test_index_reports_what_libav_reports(name: str, variants_dir: Path) -> None:
    path = _make(variants_dir, name, _VARIANTS[name])
    index = read_index(path)
    assert index is not None, f"{name} should be readable from its index"
    container = open_media(path)
    try:
        assert describe_index(index) == describe(container, path)
    finally:
        container.close()
    if index.video is not None:
        assert scan_clip(path) == scan_with_libav(path)


@pytest.mark.parametrize("name", sorted(_FOREIGN))
def test_foreign_files_go_to_libav(name: str, variants_dir: Path) -> None:
    path = _make(variants_dir, name, _FOREIGN[name])
    assert read_index(path) is None
    assert probe(path).has_video  # still probed, through libav


def test_stitch_scan_of_reelsmith_clips_matches_libav(clip_a: Path, clip_b: Path) -> None:
    for clip in (clip_a, clip_b):
        scan = scan_clip(clip)
        assert scan.audio is not None
        assert scan.audio.priming == 1
        assert scan == scan_with_libav(clip)


def test_damaged_files_are_not_misread(variants_dir: Path, tmp_path: Path) -> None:
    data = _make(variants_dir, "reelsmith.mp4", _VARIANTS["reelsmith.mp4"]).read_bytes()
    moov = data.find(b"moov") - 4
    (size,) = struct.unpack_from(">I", data, moov)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: moov + size // 2])
    assert read_index(truncated) is None
    overlong = tmp_path / "overlong.mp4"
    overlong.write_bytes(data[:moov] + struct.pack(">I", size + 10**6) + data[moov + 4 :])
    assert read_index(overlong) is None
    text = tmp_path / "notes.mp4"
    text.write_text("just some text that is not a movie")
    assert read_index(text) is None
    assert read_index(tmp_path / "missing.mp4") is None


def test_sps_parser_reads_size_and_format() -> None:
    # 1920x1080 High profile SPS (1088 coded lines cropped by 8), yuv420p.
    sps = bytes.fromhex("6764002aacd940780227e5c044000003000400000300f03c60c658")
    info = parse_sps(sps)
    assert info is not None
    assert info.width == 1920
    assert info.height == 1080
    assert info.pix_fmt == "yuv420p"
    assert parse_sps(bytes.fromhex("68ee3c80")) is None  # a PPS, not an SPS
    assert parse_sps(sps[:4]) is None  # cut short
