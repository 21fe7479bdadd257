"""Assertions about media files that several tests make."""

from __future__ import annotations

from reelsmith.media.probe import MediaInfo


def assert_house_streams(info: MediaInfo) -> None:
    """The file carries Reelsmith's house format: H.264 4:2:0 at 30 fps, stereo AAC at 48 kHz."""
    assert info.fps == 30.0
    assert info.video_codec == "h264"
    assert info.pix_fmt == "yuv420p"
    assert info.audio_codec == "aac"
    assert info.sample_rate == 48000
    assert info.channels == 2
