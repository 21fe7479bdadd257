"""ffmpeg reads a user's file as media only: never as a listing or playlist that names other paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reelsmith.errors import MediaError
from reelsmith.media.ffmpeg import FfmpegFailed, guard_inputs, run_ffmpeg
from reelsmith.media.stitch import stitch

FFCONCAT = "ffconcat version 1.0\nfile secret.mp4\n"
HLS = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\nsecret.ts\n#EXT-X-ENDLIST\n"


@pytest.fixture
def folder(tmp_path: Path, clip_a: Path) -> Path:
    """A folder holding a file that is not the user's to read (as a sibling upload would be)."""
    shutil.copyfile(clip_a, tmp_path / "secret.mp4")
    run_ffmpeg(["-i", str(clip_a), "-c", "copy", "-f", "mpegts", str(tmp_path / "secret.ts")])
    return tmp_path


# A playlist is only taken for one by its own name (ffmpeg ignores m3u8 content under other names).
SCRIPTS = [("upload.mp4", FFCONCAT), ("upload.mp4", HLS), ("upload.m3u8", HLS)]


@pytest.mark.parametrize(("name", "payload"), SCRIPTS, ids=["ffconcat", "hls-as-mp4", "hls"])
def test_a_script_is_refused_not_followed(folder: Path, name: str, payload: str) -> None:
    upload = folder / name
    upload.write_text(payload)
    with pytest.raises(FfmpegFailed):
        run_ffmpeg(["-i", str(upload), "-f", "null", "-"])


@pytest.mark.parametrize(("name", "payload"), SCRIPTS, ids=["ffconcat", "hls-as-mp4", "hls"])
def test_stitching_a_script_fails(folder: Path, clip_b: Path, name: str, payload: str) -> None:
    upload = folder / name
    upload.write_text(payload)
    out = folder / "out.mp4"
    with pytest.raises(MediaError):
        stitch([upload, clip_b], out)
    assert not out.exists()


def test_a_listing_cannot_name_another_listing(folder: Path, clip_b: Path) -> None:
    """Our concat listings name user files; those are read as media, not as listings of their own."""
    from reelsmith.media.stitch.concat import Part, write_listing

    upload = folder / "upload.mp4"
    upload.write_text(FFCONCAT)
    listing = write_listing([Part(upload, 1.0), Part(clip_b, 1.5)], folder / "list.txt")
    with pytest.raises(FfmpegFailed, match="not on whitelist"):
        run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-f", "null", "-"])


def test_inputs_get_local_file_and_media_limits_unless_set() -> None:
    guarded = guard_inputs(["-ss", "1", "-i", "a.mp4", "-f", "lavfi", "-i", "sine", "-i", "-", "out.mp4"])
    assert guarded[:6] == ["-ss", "1", "-protocol_whitelist", "file", "-format_whitelist", guarded[5]]
    assert guarded[6:8] == ["-i", "a.mp4"]
    assert "concat" not in guarded[5]
    assert "hls" not in guarded[5]
    assert guarded[8:14] == ["-f", "lavfi", "-protocol_whitelist", "file", "-i", "sine"]
    assert guarded[14:16] == ["-protocol_whitelist", "file,pipe"]
    assert guarded[-1] == "out.mp4"
    own = ["-protocol_whitelist", "file,http", "-i", "x.mp4"]
    assert guard_inputs(own)[:2] == own[:2]
    assert guard_inputs(own).count("-protocol_whitelist") == 1
