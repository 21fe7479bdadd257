"""Captions: SRT and WebVTT files, and burned-in captions drawn with the shipped font inside safe margins."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from reelsmith.errors import InvalidInput
from reelsmith.media.encode import REENCODE_CRF, fps_fraction, mp4_args, timescale_for, video_args
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.filters import filter_value, num
from reelsmith.media.probe import probe
from reelsmith.media.render.text_layout import fit_text, font_path
from reelsmith.vocabulary import AspectRatio


class Cue(NamedTuple):
    """One caption: shown from ``start_s`` to ``end_s``; plain (start, end, text) tuples work too."""

    start_s: float
    end_s: float
    text: str


def _checked(cues: Sequence[tuple[float, float, str]]) -> list[Cue]:
    out = [Cue(float(a), float(b), str(t)) for a, b, t in cues]
    for cue in out:
        if not 0 <= cue.start_s < cue.end_s:
            raise InvalidInput("cues", f"each cue needs 0 <= start < end, not {cue.start_s}..{cue.end_s}")
    return out


def _stamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def write_srt(cues: Sequence[tuple[float, float, str]], path: Path) -> Path:
    """Write SubRip captions (numbered cues, ``HH:MM:SS,mmm`` stamps, blank line between cues)."""
    blocks = [
        f"{i}\n{_stamp(c.start_s, ',')} --> {_stamp(c.end_s, ',')}\n{c.text.strip()}\n"
        for i, c in enumerate(_checked(cues), start=1)
    ]
    Path(path).write_text("\n".join(blocks), encoding="utf-8")
    return Path(path)


def write_vtt(cues: Sequence[tuple[float, float, str]], path: Path) -> Path:
    """Write WebVTT captions (``WEBVTT`` header, ``HH:MM:SS.mmm`` stamps)."""
    # "-->" may not appear in cue text; a blank line would end the cue early.
    blocks = [
        f"{_stamp(c.start_s, '.')} --> {_stamp(c.end_s, '.')}\n"
        + "\n".join(line for line in c.text.strip().replace("-->", "->").splitlines() if line.strip())
        + "\n"
        for c in _checked(cues)
    ]
    Path(path).write_text("WEBVTT\n\n" + "\n".join(blocks), encoding="utf-8")
    return Path(path)


@dataclass(frozen=True)
class SafeArea:
    """Where captions may go: the central ``width_frac`` of the frame, bottom edge at ``bottom_frac``."""

    width_frac: float
    bottom_frac: float

    @classmethod
    def for_size(cls, width: int, height: int) -> SafeArea:
        """Vertical video loses its sides and bottom to app UI: central 80 %, above the bottom 15 %."""
        return cls(0.8, 0.85) if height > width else cls(0.8, 0.92)


_ASPECTS: dict[AspectRatio, tuple[int, int]] = {
    AspectRatio.LANDSCAPE: (16, 9),
    AspectRatio.VERTICAL: (9, 16),
    AspectRatio.SQUARE: (1, 1),
}


def burn_captions(
    video: Path, cues: Sequence[tuple[float, float, str]], dest: Path, *, aspect: str | None = None
) -> Path:
    """Draw ``cues`` onto ``video`` (white, outlined, shadowed, shipped font); write ``dest`` atomically."""
    video, dest = Path(video), Path(dest)
    info = probe(video)
    if aspect is not None and aspect not in _ASPECTS:
        raise InvalidInput("aspect", f"must be one of {', '.join(_ASPECTS)}, not {aspect!r}")
    w, h = info.width, info.height
    area = SafeArea.for_size(*(_ASPECTS[AspectRatio(aspect)] if aspect else (w, h)))
    size = max(14, round(min(w, h) * 0.06))
    border = max(2, round(size * 0.08))
    shadow = max(1, round(size * 0.06))
    # Glyph outlines and shadows reach past the text box, and the encoder smears edges over a few pixels;
    # leave room for both so nothing lands in the forbidden margins.
    pad = border + shadow + 4
    max_width = w * area.width_frac - 2 * pad
    bottom = h * area.bottom_frac - pad
    font = filter_value(str(font_path()))
    fps = fps_fraction(info.fps or 30.0)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reelsmith-captions-") as tmp:
        workdir = Path(tmp)
        filters = ["null"]
        for i, cue in enumerate(_checked(cues)):
            block = fit_text(cue.text, max_width=max_width, size=size, min_size=max(12, round(size * 0.7)))
            # With y_align=font a line's box runs from the ascender to the descender, ~1.2 x the size.
            top = bottom - block.height - round(block.size * 0.2)
            for j, line in enumerate(block.lines):
                text_file = workdir / f"cue{i}_{j}.txt"
                text_file.write_text(line, encoding="utf-8")
                filters.append(
                    f"drawtext=fontfile={font}:textfile={filter_value(str(text_file))}:expansion=none"
                    f":fontsize={block.size}:fontcolor=white:borderw={border}:bordercolor=black@0.85"
                    f":shadowcolor=black@0.5:shadowx=0:shadowy={shadow}:y_align=font"
                    f":x=(w-text_w)/2:y={round(top + j * block.line_height)}"
                    f":enable='between(t,{num(cue.start_s)},{num(cue.end_s)})'"
                )
        script = workdir / "captions.txt"
        script.write_text(f"[0:v]{','.join(filters)},format=yuv420p[v]", encoding="utf-8")
        audio = ["-map", "0:a:0", "-c:a", "copy"] if info.has_audio else []
        partial = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        try:
            run_ffmpeg(
                [
                    "-i", str(video), "-/filter_complex", str(script), "-map", "[v]", *audio,
                    *video_args(crf=REENCODE_CRF, fps=fps, timescale=timescale_for(fps)),
                    *mp4_args(), str(partial),
                ],
                timeout_s=120 + info.duration_s * 10,
            )  # fmt: skip
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)
    return dest
