"""Run the ffmpeg binary shipped by ``imageio-ffmpeg`` (never a system ffmpeg).

Every input of every run is held to local files (``-protocol_whitelist file``, plus ``pipe`` for stdin)
and, unless the caller forces its demuxer, to the demuxers of the media Reelsmith reads and writes. A
file that merely claims to be a video (an ffconcat script or an HLS playlist saved as ``.mp4``) would
otherwise be probed as what it really is, and its demuxer would open the other paths named inside it.
Our own concat listings are read with the concat demuxer forced, and every entry of them carries
`CONCAT_ENTRY_OPTION`, so the files they name are held to the same demuxers in turn.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import logging
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from reelsmith.errors import MediaError

log = logging.getLogger(__name__)

_STDERR_TAIL_LINES = 15

# What ffmpeg may read a file it probes as: none of these opens paths or URLs named inside the file
# (concat, hls, dash and the like do). image2 covers still pictures read by their extension.
MEDIA_DEMUXERS = (
    "mov", "matroska", "mpegts", "h264", "wav", "mp3", "aac", "ogg", "flac",
    "image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif",
)  # fmt: skip
# The line that follows each `file` of a concat listing: what that file may be read as.
CONCAT_ENTRY_OPTION = f"option format_whitelist '{','.join(MEDIA_DEMUXERS)}'"


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


def guard_inputs(args: Sequence[str]) -> list[str]:
    """``args`` with every ``-i`` input held to local files and (unless its demuxer is forced) to media.

    Options before an ``-i`` belong to that input, so each input's own options are the ones since the
    previous input; a limit the caller set itself is left as it is.
    """
    guarded: list[str] = []
    own: list[str] = []  # the tokens since the previous input: this input's options
    i = 0
    while i < len(args):
        if args[i] == "-i" and i + 1 < len(args):
            source = args[i + 1]
            guarded += [*own, *_input_limits(own, source), "-i", source]
            own = []
            i += 2
        else:
            own.append(args[i])
            i += 1
    return guarded + own


def _input_limits(options: Sequence[str], source: str) -> list[str]:
    """The protocol and demuxer limits one input gets, given its own options."""
    limits: list[str] = []
    if "-protocol_whitelist" not in options:
        piped = source == "-" or source.startswith("pipe:")
        limits += ["-protocol_whitelist", "file,pipe" if piped else "file"]
    if "-format_whitelist" not in options:
        forced = _forced_format(options)
        if forced is None:
            limits += ["-format_whitelist", ",".join(MEDIA_DEMUXERS)]
        elif forced == "concat":
            # The files it names inherit this list; our listings narrow each of them to media alone
            # with CONCAT_ENTRY_OPTION, which keeps a listing from naming another listing.
            limits += ["-format_whitelist", ",".join(("concat", *MEDIA_DEMUXERS))]
    return limits


def _forced_format(options: Sequence[str]) -> str | None:
    """The demuxer an input's ``-f`` forces, if any (the last one counts, as in ffmpeg)."""
    forced = None
    for flag, value in itertools.pairwise(options):
        if flag == "-f":
            forced = value
    return forced


def _run(args: Sequence[str], loglevel: str, timeout_s: float | None) -> subprocess.CompletedProcess[bytes]:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", loglevel, *guard_inputs(args)]
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
