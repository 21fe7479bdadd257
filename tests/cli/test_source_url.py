"""`generate --mode ad-clone --source https://…`: the source ad fetched over HTTP, within the limits."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from reelsmith.errors import InvalidInput, UnsupportedMedia
from reelsmith.generations.fetch import fetch_to_file, is_url
from tests.pipeline.test_ad_clone import source_ad
from tests.support import free_port, serve_in_thread

# An HLS playlist whose one segment is a local file: read as a playlist, it would pull that file in.
PLAYLIST = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\nsecret.ts\n#EXT-X-ENDLIST\n"


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # the test output is no place for an access log


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A plain HTTP server on loopback serving a folder with a source ad in it."""
    folder = tmp_path_factory.mktemp("site")
    source_ad(folder / "ad.mp4")
    (folder / "notes.txt").write_text("not a video")
    (folder / "playlist.m3u8").write_text(PLAYLIST)
    handler = partial(_QuietFiles, directory=str(folder))
    with serve_in_thread(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        yield url


def test_fetch_streams_to_a_file_and_keeps_limits(site: str, tmp_path: Path) -> None:
    assert is_url(f"{site}/ad.mp4")
    assert not is_url("ad.mp4")
    assert not is_url("file:///ad.mp4")
    got = fetch_to_file(f"{site}/ad.mp4", tmp_path, max_bytes=50_000_000, field="--source")
    assert got.suffix == ".mp4"
    assert got.read_bytes()[4:8] == b"ftyp"
    with pytest.raises(InvalidInput, match="HTTP 404"):
        fetch_to_file(f"{site}/missing.mp4", tmp_path, max_bytes=50_000_000, field="--source")
    with pytest.raises(InvalidInput, match="limit"):
        fetch_to_file(f"{site}/ad.mp4", tmp_path, max_bytes=1000, field="--source")
    with pytest.raises(InvalidInput, match="could not download"):
        fetch_to_file(f"http://127.0.0.1:{free_port()}/x.mp4", tmp_path, max_bytes=1000, field="--source")
    assert [p.name for p in tmp_path.iterdir()] == [got.name]  # nothing partial left behind


def _generate(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_")}
    env["REELSMITH_DATA_DIR"] = str(data_dir)
    env["REELSMITH_NARRATE_BY_DEFAULT"] = "false"  # the source is what is tested, not the voice
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "reelsmith",
            "generate",
            "Trailblazer running shoes",
            "--mode",
            "ad-clone",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_ad_clone_from_a_source_url(site: str, tmp_path: Path) -> None:
    result = _generate(
        tmp_path / "data", "--source", f"{site}/ad.mp4", "--variants", "soft", "--out", "ad.mp4"
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_file()
    assert not list((tmp_path / "data" / "tmp").glob("fetched-*"))  # the download is not kept twice


@pytest.mark.parametrize(("path", "needle"), [("missing.mp4", "HTTP 404"), ("notes.txt", "expected")])
def test_bad_source_urls_are_one_line_and_exit_2(site: str, tmp_path: Path, path: str, needle: str) -> None:
    result = _generate(tmp_path / "data", "--source", f"{site}/{path}")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "--source" in lines[0], result.stderr
    assert needle in lines[0], result.stderr


def test_a_playlist_url_is_saved_under_a_neutral_name_and_refused(site: str, tmp_path: Path) -> None:
    from reelsmith.generations.upload_types import sniff

    got = fetch_to_file(f"{site}/playlist.m3u8", tmp_path, max_bytes=50_000_000, field="--source")
    assert got.suffix == ".bin"  # not .m3u8: nothing takes it for a playlist by its name
    assert got.read_text() == PLAYLIST
    with pytest.raises(UnsupportedMedia):
        sniff(got)
    result = _generate(tmp_path / "data", "--source", f"{site}/playlist.m3u8")
    assert result.returncode == 2
    assert "--source" in result.stderr, result.stderr
    assert "expected" in result.stderr, result.stderr
