"""Run the ffmpeg binary shipped by ``imageio-ffmpeg`` (never a system ffmpeg)."""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from reelsmith.errors import MediaError

log = logging.getLogger(__name__)

_STDERR_TAIL_LINES = 15


class FfmpegFailed(MediaError):
    """ffmpeg ran and exited non-zero; ``stderr_tail`` keeps the last lines of what it wrote to stderr."""

    def __init__(self, exit_code: int, stderr_tail: str) -> None:
        super().__init__(f"ffmpeg failed (exit {exit_code})\n{stderr_tail}".rstrip())
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail


def _bundled_binary() -> str | None:
    """The one executable ``ffmpeg-*`` in imageio-ffmpeg's binaries folder, found without importing it."""
    spec = importlib.util.find_spec("imageio_ffmpeg")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = [p for p in Path(folder, "binaries").glob("ffmpeg-*") if os.access(p, os.X_OK)]
        if len(found) == 1:
            return str(found[0])
    return None


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the static ffmpeg binary bundled with imageio-ffmpeg.

    ``imageio_ffmpeg.get_ffmpeg_exe`` imports platform helpers and runs ``ffmpeg -version`` to validate the
    binary, together tens of milliseconds on every start of a command, so the bundled file is looked up
    directly; the package's own search remains for everything else (IMAGEIO_FFMPEG_EXE, other layouts).
    """
    if not os.environ.get("IMAGEIO_FFMPEG_EXE"):
        bundled = _bundled_binary()
        if bundled is not None:
            return bundled
    import imageio_ffmpeg  # imported lazily: it is only needed when media work actually runs

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def stderr_tail(stderr: str | bytes | None, lines: int = _STDERR_TAIL_LINES) -> str:
    """The last few non-empty lines of a process's stderr, for error messages."""
    if stderr is None:
        return ""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _run(args: Sequence[str], loglevel: str, timeout_s: float | None) -> subprocess.CompletedProcess[bytes]:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", loglevel, *args]
    log.debug("ffmpeg %s", " ".join(args))
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as e:
        raise MediaError(f"ffmpeg timed out after {timeout_s:g} s\n{stderr_tail(e.stderr)}".rstrip()) from e
    except OSError as e:
        raise MediaError(f"could not start ffmpeg: {e}") from e
    if proc.returncode != 0:
        err = subprocess.CalledProcessError(proc.returncode, cmd, proc.stdout, proc.stderr)
        raise FfmpegFailed(proc.returncode, stderr_tail(proc.stderr)) from err
    return proc


def run_ffmpeg(args: Sequence[str], *, timeout_s: float | None = None) -> None:
    """Run ``ffmpeg -hide_banner -nostdin -y <args>``; FfmpegFailed (a MediaError) if it exits non-zero."""
    _run(args, "error", timeout_s)


def ffmpeg_report(args: Sequence[str], *, timeout_s: float | None = None) -> str:
    """Run ffmpeg at info level and return its stderr, where measuring filters (ebur128, psnr) report."""
    return _run(args, "info", timeout_s).stderr.decode("utf-8", "replace")


def ffmpeg_pipe(args: Sequence[str], *, timeout_s: float | None = None) -> bytes:
    """Run ffmpeg writing to stdout (``-`` as the output) and return what it wrote, e.g. raw frames."""
    return _run(args, "error", timeout_s).stdout
