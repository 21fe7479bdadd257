"""Word-timed caption cues: spoken words grouped a few at a time, written as SubRip or WebVTT.

A cue holds a few consecutive words and never spans a long pause or a sentence end, so each one reads
as a short phrase. It ends where the next cue starts when the speech runs on, or shortly after its last
word when a pause follows; captions then neither flicker off between phrases nor linger over silence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reelsmith.errors import InvalidInput
from reelsmith.providers.base import WordTiming

# How long a cue stays after its last word when a pause follows (never into the next cue).
LINGER_S = 0.4
_SENTENCE_END = (".", "!", "?", "…")


@dataclass(frozen=True)
class Cue:
    """A few words shown together from ``start_s`` to ``end_s``; times on the final video's timeline."""

    start_s: float
    end_s: float
    words: tuple[WordTiming, ...]

    @property
    def text(self) -> str:
        """The cue's words joined by spaces."""
        return " ".join(w.word for w in self.words)


def _checked(words: Sequence[WordTiming]) -> list[WordTiming]:
    """The words that have text, after checking their times run forwards."""
    kept: list[WordTiming] = []
    for i, w in enumerate(words):
        if not 0 <= w.start_s <= w.end_s:
            raise InvalidInput(
                "words", f"word {i} ({w.word!r}) needs 0 <= start <= end, not {w.start_s}..{w.end_s}"
            )
        if kept and w.start_s < kept[-1].start_s:
            raise InvalidInput("words", f"word {i} ({w.word!r}) starts before the word ahead of it")
        if w.word.strip():
            kept.append(WordTiming(w.word.strip(), w.start_s, w.end_s))
    return kept


def _groups(words: Sequence[WordTiming], max_words: int, max_gap_s: float) -> list[list[WordTiming]]:
    groups: list[list[WordTiming]] = []
    for w in words:
        last = groups[-1] if groups else None
        if (
            last is None
            or len(last) >= max_words
            or w.start_s - last[-1].end_s > max_gap_s
            or last[-1].word.endswith(_SENTENCE_END)
        ):
            groups.append([w])
        else:
            last.append(w)
    return groups


def caption_cues(words: Sequence[WordTiming], *, max_words: int = 3, max_gap_s: float = 0.6) -> list[Cue]:
    """Group word timings into cues of at most ``max_words``, none across a pause over ``max_gap_s``."""
    if max_words < 1:
        raise InvalidInput("max_words", f"must be at least 1, not {max_words}")
    if max_gap_s < 0:
        raise InvalidInput("max_gap_s", f"must not be negative, not {max_gap_s}")
    groups = _groups(_checked(words), max_words, max_gap_s)
    cues: list[Cue] = []
    for i, group in enumerate(groups):
        start, spoken_end = group[0].start_s, max(w.end_s for w in group)
        nxt = groups[i + 1][0].start_s if i + 1 < len(groups) else None
        if nxt is not None and nxt - spoken_end <= max_gap_s:
            end = nxt  # the speech runs on: hand straight over to the next cue
        else:
            end = spoken_end + LINGER_S if nxt is None else min(spoken_end + LINGER_S, nxt)
        cues.append(Cue(start, max(end, start + 0.001), tuple(group)))
    return cues


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _stamp(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _span(cue: Cue) -> tuple[int, int]:
    """The cue's start and end in whole milliseconds, the end kept after the start."""
    start = _ms(cue.start_s)
    return start, max(_ms(cue.end_s), start + 1)


def to_srt(cues: Sequence[Cue]) -> str:
    """SubRip text: numbered cues, ``HH:MM:SS,mmm`` stamps, a blank line between cues."""
    blocks = []
    for n, cue in enumerate(cues, start=1):
        start, end = _span(cue)
        # A line holding only "-->" would read as a timing line; words never need the arrow.
        text = cue.text.replace("-->", "->")
        blocks.append(f"{n}\n{_stamp(start, ',')} --> {_stamp(end, ',')}\n{text}\n")
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: Sequence[Cue], *, karaoke: bool = False) -> str:
    """WebVTT text (``WEBVTT`` header, ``HH:MM:SS.mmm`` stamps).

    With ``karaoke`` each word after the first is preceded by its start as an inner timestamp
    (``<00:00:01.200>``), which players use to mark the word being spoken.
    """
    blocks = ["WEBVTT\n"]
    for cue in cues:
        start, end = _span(cue)
        parts: list[str] = []
        last = start
        for w in cue.words:
            at = _ms(w.start_s)
            # Inner timestamps must rise strictly inside the cue; a word starting with the cue needs none.
            if karaoke and last < at < end:
                parts.append(f"<{_stamp(at, '.')}>{_vtt_escape(w.word)}")
                last = at
            else:
                parts.append(_vtt_escape(w.word))
        blocks.append(f"{_stamp(start, '.')} --> {_stamp(end, '.')}\n{' '.join(parts)}\n")
    return "\n".join(blocks)
