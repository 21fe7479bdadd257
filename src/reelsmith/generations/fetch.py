"""Fetch a media file the user names by URL (the CLI's `--source https://…`), within the upload limit.

Only the command line does this: it runs on the operator's own machine. The HTTP API takes uploads
instead, so a server is never asked to fetch addresses on a user's behalf.

The download is named by what its first bytes say it is, never by the URL: a `.m3u8` address must
not become a file that ffmpeg takes for a playlist (and then reads the local paths it names). What no
accepted type claims is saved as `.bin`, and is refused when it is sniffed like any upload.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import httpx

from reelsmith.errors import InvalidInput
from reelsmith.generations.upload_types import IMAGE_TYPES, container_format, image_format

_CHUNK = 1 << 20
_TIMEOUT_S = 60.0
# File suffixes by the demuxer a download's magic bytes point to; anything else is `.bin`.
_CONTAINER_SUFFIXES = {
    "mov": ".mp4", "matroska": ".mkv", "wav": ".wav", "ogg": ".ogg",
    "flac": ".flac", "mp3": ".mp3", "aac": ".aac",
}  # fmt: skip
_UNKNOWN_SUFFIX = ".bin"


def is_url(value: str) -> bool:
    """True for an http(s) address rather than a local path."""
    return urlparse(value).scheme in ("http", "https")


def fetch_to_file(url: str, folder: Path, *, max_bytes: int, field: str) -> Path:
    """Download ``url`` into a new file in ``folder`` (streamed, at most ``max_bytes``); 4xx naming ``field``.

    The file is written under a temporary name and only renamed once complete; nothing is left on failure.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=folder, prefix=".fetch-", suffix=".part")
    try:
        with (
            os.fdopen(fd, "wb") as out,
            httpx.stream("GET", url, follow_redirects=True, timeout=_TIMEOUT_S) as r,
        ):
            if r.status_code != 200:
                raise InvalidInput(field, f"{url} answered HTTP {r.status_code}")
            declared = int(r.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise InvalidInput(
                    field, f"{url} is {declared / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB"
                )
            written = 0
            for chunk in r.iter_bytes(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise InvalidInput(field, f"{url} is larger than the {max_bytes / 1e6:.0f} MB limit")
                out.write(chunk)
        suffix = sniffed_suffix(Path(partial))
        final = Path(partial).with_name(f"fetched-{Path(partial).stem.removeprefix('.fetch-')}{suffix}")
        os.replace(partial, final)
        return final
    except httpx.HTTPError as e:
        Path(partial).unlink(missing_ok=True)
        raise InvalidInput(field, f"could not download {url}: {e}") from e
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def sniffed_suffix(path: Path) -> str:
    """The file suffix that the file's first bytes call for (".mp4", ".png", …), or ".bin"."""
    with path.open("rb") as f:
        head = f.read(16)
    image = image_format(head)
    if image is not None:
        return "." + IMAGE_TYPES[image][0]
    return _CONTAINER_SUFFIXES.get(container_format(head) or "", _UNKNOWN_SUFFIX)
