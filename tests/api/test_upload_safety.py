"""Uploads are decoded only by the parsers on the allowlist, and huge images are refused before decoding."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import EpsImagePlugin, Image

from reelsmith.config import Settings
from reelsmith.generations.upload_types import MAX_IMAGE_PIXELS

EPS = (
    b"%!PS-Adobe-3.0 EPSF-3.0\n"
    b"%%BoundingBox: 0 0 64 64\n"
    b"%%EndComments\n"
    b"newpath 0 0 moveto 64 64 lineto stroke\n"
    b"showpage\n"
    b"%%EOF\n"
)


def _upload(client: TestClient, headers: dict[str, str], name: str, data: bytes) -> tuple[int, str]:
    response = client.post(
        "/api/uploads", files={"file": (name, data, "application/octet-stream")}, headers=headers
    )
    return response.status_code, str(response.json().get("detail", ""))


def test_eps_is_refused_without_running_ghostscript(
    client: TestClient, alice: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ghostscript-ran"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_gs = bin_dir / "gs"
    fake_gs.write_text(f"#!/bin/sh\necho ran >> {marker}\nexit 0\n")
    fake_gs.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path('/usr/bin')}:{Path('/bin')}")
    # Pillow remembers whether it found Ghostscript; forget it so the fake on PATH would be found.
    monkeypatch.setattr(EpsImagePlugin, "gs_binary", None)
    status, detail = _upload(client, alice, "picture.png", EPS)
    assert (status, marker.exists()) == (415, False)
    assert "file" in detail
    assert "expected" in detail


def _blank_png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    # Mode "1" compresses a blank picture to a few KB however many pixels it claims.
    Image.new("1", (width, height)).save(buf, "PNG", optimize=True)
    return buf.getvalue()


# Pillow warns on opening anything over its own limit; ours refuses well before that.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_image_over_the_pixel_limit_is_413_before_decoding(client: TestClient, alice: dict[str, str]) -> None:
    data = _blank_png(10_000, 10_000)
    assert MAX_IMAGE_PIXELS < 10_000 * 10_000
    assert len(data) < 100_000
    status, detail = _upload(client, alice, "huge.png", data)
    assert status == 413
    assert f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels" in detail


def test_image_within_the_pixel_limit_is_accepted(client: TestClient, alice: dict[str, str]) -> None:
    status, _ = _upload(client, alice, "wide.png", _blank_png(4_000, 2_000))
    assert status == 201


# Plain text long enough for libav's tty demuxer to render it as a "video" of ANSI art.
TEXT = b"".join(b"user%02d:x:%d:%d:someone:/home/user%02d:/bin/sh\n" % (n, n, n, n) for n in range(40))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("clip.mp4", b"ffconcat version 1.0\nfile /etc/passwd\n"),
        ("clip.mp4", b"ffconcat version 1.0\nfile notes.txt\nduration 5\n"),
        ("clip.m3u8", b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nnotes.txt\n#EXT-X-ENDLIST\n"),
        ("clip.mp4", TEXT),
    ],
    ids=["ffconcat-absolute", "ffconcat-sibling", "hls-playlist", "plain-text"],
)
def test_files_outside_the_container_allowlist_are_415(
    client: TestClient, alice: dict[str, str], api_settings: Settings, name: str, data: bytes
) -> None:
    # A file beside the upload in the scratch folder, which a playlist names relative to itself.
    (api_settings.scratch_dir / "notes.txt").write_bytes(TEXT)
    status, detail = _upload(client, alice, name, data)
    assert status == 415
    assert "expected" in detail
