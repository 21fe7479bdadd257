from __future__ import annotations

import struct
import time
from pathlib import Path

import av
import pytest

from reelsmith.errors import InvalidInput, MediaError
from reelsmith.media.encode import mp4_args
from reelsmith.media.ffmpeg import FfmpegFailed, run_ffmpeg
from reelsmith.media.probe import probe
from reelsmith.media.stitch import ClipNotStitchable, stitch
from reelsmith.media.stitch.concat import index_room_ran_out, write_with_index_room
from reelsmith.vocabulary import Transition
from tests.support.media import assert_house_streams

FRAME = 1 / 30


def _coded_pictures(path: Path, count: int = 10) -> list[bytes]:
    """The first few coded pictures after the first (the first may gain in-band SPS/PPS when copied)."""
    with av.open(str(path)) as container:
        packets = [bytes(p) for p in container.demux(video=0) if p.size]
    return packets[1 : count + 1]


def _video_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_compatible_clips_are_stream_copied(clip_a: Path, clip_b: Path, tmp_path: Path) -> None:
    dest = tmp_path / "joined.mp4"
    started = time.perf_counter()
    info = stitch([clip_a, clip_b, clip_a], dest)
    elapsed = time.perf_counter() - started
    assert info.duration_s == pytest.approx(1.0 + 1.5 + 1.0, abs=FRAME)
    assert info.width == 320
    assert info.height == 240
    assert info.video_time_base == "1/15360"
    # Copied, not re-encoded: the coded pictures are byte-identical to the first clip's.
    assert _coded_pictures(dest) == _coded_pictures(clip_a)
    assert _video_frames(dest) == 30 + 45 + 30
    assert elapsed < 5


def test_mismatched_clips_are_normalised_to_the_first(clip_a: Path, clip_odd: Path, tmp_path: Path) -> None:
    info = stitch([clip_a, clip_odd, clip_a], tmp_path / "mixed.mp4")
    assert info.duration_s == pytest.approx(1.0 + 1.2 + 1.0, abs=FRAME)
    assert info.width == 320
    assert info.height == 240
    assert_house_streams(info)
    # Only the odd clip was re-encoded: the leading clip is still copied as is.
    assert _coded_pictures(tmp_path / "mixed.mp4") == _coded_pictures(clip_a)


def test_first_clip_sets_the_target_format(clip_odd: Path, clip_a: Path, tmp_path: Path) -> None:
    info = stitch([clip_odd, clip_a], tmp_path / "odd_first.mp4")
    assert info.width == 256
    assert info.height == 256
    assert info.fps == 25.0
    assert info.duration_s == pytest.approx(1.2 + 1.0, abs=1 / 25)
    assert info.has_audio


@pytest.mark.parametrize("transition", ["fade", "dissolve", "wipeleft", "slideup"])
def test_transition_shortens_by_overlaps(transition: str, clip_a: Path, clip_b: Path, tmp_path: Path) -> None:
    info = stitch([clip_a, clip_b, clip_a], tmp_path / "x.mp4", transition=transition, transition_s=0.4)
    assert info.duration_s == pytest.approx(1.0 + 1.5 + 1.0 - 2 * 0.4, abs=FRAME)
    assert info.has_audio
    assert info.video_codec == "h264"


def test_transition_with_mismatched_clips(clip_a: Path, clip_odd: Path, tmp_path: Path) -> None:
    info = stitch([clip_a, clip_odd], tmp_path / "x.mp4", transition="fade", transition_s=0.5)
    assert info.duration_s == pytest.approx(1.0 + 1.2 - 0.5, abs=FRAME)
    assert info.width == 320
    assert info.height == 240
    assert info.sample_rate == 48000


@pytest.mark.parametrize("transition", ["none", "fade"])
def test_soundtrack_is_trimmed_to_the_video(
    transition: str, clip_a: Path, clip_odd: Path, song: Path, tmp_path: Path
) -> None:
    info = stitch([clip_a, clip_odd], tmp_path / "s.mp4", transition=transition, transition_s=0.3, audio=song)
    expected = 2.2 - (0.3 if transition == "fade" else 0)
    assert info.duration_s == pytest.approx(expected, abs=FRAME)
    assert info.audio_codec == "aac"
    assert info.sample_rate == 48000
    assert info.channels == 2


def test_single_clip_round_trips(clip_b: Path, tmp_path: Path) -> None:
    info = stitch([clip_b], tmp_path / "one.mp4", transition="fade")
    assert info.duration_s == pytest.approx(1.5, abs=FRAME)


def test_empty_clip_list_raises(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        stitch([], tmp_path / "x.mp4")


def test_unreadable_clip_is_named_and_dest_untouched(clip_a: Path, corrupt: Path, tmp_path: Path) -> None:
    dest = tmp_path / "x.mp4"
    with pytest.raises(ClipNotStitchable, match=r"corrupt\.mp4") as caught:
        stitch([clip_a, corrupt], dest)
    assert caught.value.path == corrupt
    assert isinstance(caught.value.__cause__, MediaError)
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []


def test_clip_without_video_is_not_stitchable(clip_a: Path, song: Path, tmp_path: Path) -> None:
    with pytest.raises(ClipNotStitchable) as caught:
        stitch([clip_a, song], tmp_path / "x.mp4")
    assert caught.value.path == song
    assert caught.value.reason == "it has no video to join"
    # Raised by the scan itself, so the stitcher does not wrap it a second time.
    assert str(caught.value).count("cannot stitch") == 1
    assert caught.value.code == "media_error"


def test_transition_accepts_the_vocabulary_member_and_its_value(clip_a: Path, tmp_path: Path) -> None:
    by_member = stitch([clip_a, clip_a], tmp_path / "m.mp4", transition=Transition.FADE, transition_s=0.3)
    by_value = stitch([clip_a, clip_a], tmp_path / "v.mp4", transition="fade", transition_s=0.3)
    assert by_member.duration_s == pytest.approx(by_value.duration_s, abs=FRAME)
    assert by_member.duration_s == pytest.approx(2 * 1.0 - 0.3, abs=FRAME)


def test_bad_transition_arguments_raise(clip_a: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        stitch([clip_a], tmp_path / "x.mp4", transition="spin")
    with pytest.raises(InvalidInput):
        stitch([clip_a, clip_a], tmp_path / "x.mp4", transition="fade", transition_s=1.0)


def test_existing_dest_is_replaced_whole(clip_a: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out.mp4"
    dest.write_bytes(b"old")
    stitch([clip_a], dest)
    assert probe(dest).duration_s == pytest.approx(1.0, abs=FRAME)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def _top_level_boxes(path: Path) -> list[bytes]:
    data = path.read_bytes()
    kinds, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
        kinds.append(kind)
        pos += size
    return kinds


def test_copy_join_writes_the_index_first_without_a_second_pass(
    clip_a: Path, clip_b: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "joined.mp4"
    stitch([clip_a, clip_b], dest)
    boxes = _top_level_boxes(dest)
    assert boxes.index(b"moov") < boxes.index(b"mdat")
    assert b"free" in boxes  # the unused part of the room kept for the index


def test_index_room_too_small_falls_back_to_faststart(clip_a: Path, clip_b: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"file '{clip_a}'\nfile '{clip_b}'\n")
    args = ["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy"]
    with pytest.raises(FfmpegFailed) as caught:
        run_ffmpeg([*args, *mp4_args(reserve_index_bytes=64), str(tmp_path / "direct.mp4")])
    assert index_room_ran_out(caught.value)
    dest = tmp_path / "fallback.mp4"
    write_with_index_room(args, dest, 64, timeout_s=60)
    boxes = _top_level_boxes(dest)
    assert boxes.index(b"moov") < boxes.index(b"mdat")
    assert probe(dest).duration_s == pytest.approx(2.5, abs=FRAME)


def test_other_ffmpeg_failures_are_not_taken_for_a_full_index_room(clip_a: Path, tmp_path: Path) -> None:
    with pytest.raises(FfmpegFailed) as caught:
        run_ffmpeg(["-i", str(clip_a), "-c:v", "no-such-encoder", str(tmp_path / "x.mp4")])
    assert caught.value.exit_code != 0
    assert caught.value.stderr_tail
    assert not index_room_ran_out(caught.value)


def test_write_with_index_room_reraises_other_failures(clip_a: Path, tmp_path: Path) -> None:
    dest = tmp_path / "x.mp4"
    with pytest.raises(FfmpegFailed):
        write_with_index_room(["-i", str(clip_a), "-c:v", "no-such-encoder"], dest, 1 << 16, timeout_s=60)
    assert not dest.exists()
