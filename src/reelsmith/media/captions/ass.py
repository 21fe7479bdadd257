"""The ASS script that libass (ffmpeg's ``ass`` filter) burns in: short-form caption looks and layout.

Each cue becomes one event per word, all laid out alike, the word being spoken drawn in the highlight
colour; the text is fitted with the shipped font (at most two lines), centred and set in the lower third
of the frame above the margin that apps cover with their own buttons (``SafeArea``). Event times are put
half a frame before the frame they start on, so every frame shows exactly the cue its time falls in,
however ffmpeg rounds the frame's stamp.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from reelsmith.media.captions.cues import Cue
from reelsmith.media.render.text_layout import fit_text, font_path, text_width
from reelsmith.vocabulary import CaptionStyle

FONT_FAMILY = "DejaVu Sans"  # the family name inside the shipped DejaVuSans-Bold.ttf
_MAX_LINES = 2
_LINE_EM = 1.2  # the shipped font's line box (ascender + descender) in ems


@dataclass(frozen=True)
class SafeArea:
    """Where captions may go: the central ``width_frac`` of the frame, bottom edge at ``bottom_frac``."""

    width_frac: float
    bottom_frac: float

    @classmethod
    def for_size(cls, width: int, height: int) -> SafeArea:
        """Vertical video loses its sides and bottom to app UI: central 80 %, above the bottom 15 %."""
        return cls(0.8, 0.85) if height > width else cls(0.8, 0.92)


Rgb = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    """One caption style: letter case, size, colours and the edge (outline or box) around the text."""

    upper: bool
    size_frac: float  # the font's em as a fraction of the frame's shorter side
    colour: Rgb
    highlight: Rgb  # the word being spoken
    edge: Rgb  # outline colour, or the box colour when ``boxed``
    edge_alpha: int  # 0 opaque .. 255 invisible, as ASS counts it
    outline_frac: float  # outline width (or box padding) as a fraction of the em
    shadow_frac: float
    boxed: bool


WHITE: Rgb = (255, 255, 255)
LOOKS: dict[CaptionStyle, Look] = {
    CaptionStyle.BOLD: Look(True, 0.075, WHITE, (255, 224, 0), (0, 0, 0), 0, 0.09, 0.04, False),
    CaptionStyle.CLEAN: Look(False, 0.062, WHITE, (79, 195, 247), (0, 0, 0), 0x50, 0.22, 0.0, True),
}


def _style_colour(rgb: Rgb, alpha: int = 0) -> str:
    r, g, b = rgb
    return f"&H{alpha:02X}{b:02X}{g:02X}{r:02X}"


def _tag_colour(rgb: Rgb) -> str:
    r, g, b = rgb
    return f"&H{b:02X}{g:02X}{r:02X}&"


@dataclass(frozen=True)
class Placement:
    """Where captions go in a frame: the font's em, the widest line, the block's bottom edge, and the
    highest its top may reach (the top of the lower third)."""

    em: int
    max_width: float
    bottom: int
    top_limit: int
    centre_x: int


def placement(width: int, height: int, look: Look) -> Placement:
    """The caption box of a ``width`` x ``height`` frame: inside the safe area and in the lower third."""
    area = SafeArea.for_size(width, height)
    em = max(12, round(min(width, height) * look.size_frac))
    # The outline (or box) and shadow reach past the glyphs; keep them inside the safe area too.
    pad = math.ceil(em * (look.outline_frac + look.shadow_frac)) + 2
    bottom = round(height * area.bottom_frac) - pad
    top_limit = math.ceil(height * 2 / 3) + pad
    # Two lines (a line is ~1.2 em from ascender to descender) must fit between the two.
    em = min(em, math.floor((bottom - top_limit) / (_MAX_LINES * _LINE_EM)))
    return Placement(em, width * area.width_frac - 2 * pad, bottom, top_limit, width // 2)


@functools.cache
def _ass_size(em: int) -> int:
    """libass sizes a font by ascender + descender, not by its em: the ASS size drawing ``em`` px text."""
    from PIL import ImageFont

    ascent, descent = ImageFont.truetype(str(font_path()), em).getmetrics()
    return int(ascent + descent)


def _display(word: str, look: Look) -> str:
    # Braces open override blocks and backslashes start tags in ASS; neither belongs in a spoken word.
    text = word.replace("\\", "/").replace("{", "(").replace("}", ")")
    return text.upper() if look.upper else text


def _lines(tokens: Sequence[str], em: int, place: Placement) -> tuple[list[int], int, float]:
    """How many tokens go on each line, the em they are drawn at, and a horizontal squeeze (1 = none).

    The size and wrapping come from the renderer's ``fit_text``. Words too long for two lines even at
    the smallest size are split into two lines where the wider one is narrowest and squeezed to fit,
    since every spoken word must be shown whole.
    """
    text = " ".join(tokens)
    min_em = max(10, round(em * 0.6))
    block = fit_text(text, max_width=place.max_width, size=em, min_size=min_em, max_lines=_MAX_LINES)
    if " ".join(block.lines) == text:
        return [len(line.split()) for line in block.lines], block.size, 1.0

    def widest(split: int) -> float:
        return max(text_width(" ".join(part), min_em) for part in (tokens[:split], tokens[split:]) if part)

    split = min(range(1, len(tokens)), key=widest, default=len(tokens))
    counts = [n for n in (split, len(tokens) - split) if n]
    # The outline does not shrink with the letters; a little slack keeps it inside the line too.
    return counts, min_em, min(1.0, place.max_width / widest(split) * 0.96)


def _event_text(tokens: Sequence[str], counts: Sequence[int], active: range, look: Look) -> str:
    """The cue's lines, joined by ASS line breaks, with the tokens in ``active`` in the highlight colour."""
    lines: list[str] = []
    index = 0
    for count in counts:
        line = []
        for token in tokens[index : index + count]:
            lit = index in active
            line.append(
                f"{{\\1c{_tag_colour(look.highlight)}}}{token}{{\\1c{_tag_colour(look.colour)}}}"
                if lit
                else token
            )
            index += 1
        lines.append(" ".join(line))
    return "\\N".join(lines)


def frame_of(seconds: float, fps: Fraction) -> int:
    """The first frame shown at or after ``seconds``."""
    return math.ceil(seconds * fps - Fraction(1, 10_000))


def cue_frames(cue: Cue, fps: Fraction) -> tuple[int, int]:
    """The frames a cue is shown on: from its first (inclusive) to its end (exclusive)."""
    return frame_of(cue.start_s, fps), frame_of(cue.end_s, fps)


def _clock(frame: int, fps: Fraction) -> str:
    """ASS time (H:MM:SS.cc) half a frame before ``frame``: the event then starts exactly on that frame."""
    cs = max(0, round((frame - Fraction(1, 2)) / fps * 100))
    h, rest = divmod(cs, 360_000)
    m, rest = divmod(rest, 6000)
    s, cs = divmod(rest, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def _header(width: int, height: int, look: Look, em: int) -> str:
    outline = round(em * look.outline_frac, 1)
    shadow = round(em * look.shadow_frac, 1)
    colours = [look.colour, look.colour]
    if look.boxed:
        # libass's style 4 draws one box behind each whole event (style 3 boxes every colour run apart,
        # and their overlaps show as darker seams); the box is the back colour, the outline its padding.
        border_style = 4
        edges = f"{_style_colour((0, 0, 0), 0xFF)},{_style_colour(look.edge, look.edge_alpha)}"
    else:
        border_style = 1
        edges = f"{_style_colour(look.edge, look.edge_alpha)},{_style_colour((0, 0, 0), 0x80)}"
    return (
        "[Script Info]\nScriptType: v4.00+\n"
        f"PlayResX: {width}\nPlayResY: {height}\n"
        "WrapStyle: 2\nScaledBorderAndShadow: yes\nYCbCr Matrix: None\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Caption,{FONT_FAMILY},{_ass_size(em)},{','.join(map(_style_colour, colours))},{edges},"
        f"-1,0,0,0,100,100,0,0,{border_style},{outline},{shadow},2,0,0,0,1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )


def ass_script(cues: Sequence[Cue], width: int, height: int, fps: Fraction, style: CaptionStyle) -> str:
    """The whole ASS script burning ``cues`` into a ``width`` x ``height`` video at ``fps``."""
    look = LOOKS[CaptionStyle(style)]
    place = placement(width, height, look)
    em = place.em
    events: list[str] = []
    for cue in cues:
        first, end = cue_frames(cue, fps)
        if end <= first:
            continue
        tokens_per_word = [_display(w.word, look).split() for w in cue.words]
        tokens = [t for ts in tokens_per_word for t in ts]
        counts, size, squeeze = _lines(tokens, em, place)
        overrides = f"\\an2\\pos({place.centre_x},{place.bottom})"
        if size != em:
            overrides += f"\\fs{_ass_size(size)}"
        if squeeze < 1:
            overrides += f"\\fscx{math.floor(squeeze * 100)}"
        # One event per word: the words' own frames, the first from the cue's start, the last to its end.
        index = 0
        for n, word in enumerate(cue.words):
            start = first if n == 0 else max(first, frame_of(word.start_s, fps))
            stop = end if n + 1 == len(cue.words) else min(end, frame_of(cue.words[n + 1].start_s, fps))
            count = len(tokens_per_word[n])
            if stop > start and count:
                text = _event_text(tokens, counts, range(index, index + count), look)
                times = f"{_clock(start, fps)},{_clock(stop, fps)}"
                events.append(f"Dialogue: 0,{times},Caption,,0,0,0,,{{{overrides}}}{text}")
            index += count
    return _header(width, height, look, em) + "\n".join(events) + "\n"
