"""How long a spoken line takes, how many words fit a scene, and scene lengths that fit their lines.

The estimate is the writing pace (`WORDS_PER_SECOND`), not a measurement of any voice: it sizes
lines before they are spoken. A scene holds its line plus the breath before it (`BREATH_S`) and
a short tail so the last word is not cut by the next scene.
"""

from __future__ import annotations

import math

from reelsmith.speech.words import split_words
from reelsmith.vocabulary import BREATH_S, WORDS_PER_SECOND

TAIL_S = 0.2  # after the last word, before the cut


def spoken_length_s(text: str) -> float:
    """Estimated seconds to say `text` at WORDS_PER_SECOND."""
    return len(split_words(text)) / WORDS_PER_SECOND


def word_budget(duration_s: float) -> int:
    """How many words a scene of `duration_s` can speak, breath and tail included (at least one)."""
    return max(1, math.floor((duration_s - BREATH_S - TAIL_S) * WORDS_PER_SECOND + 1e-9))


def fit_scene_durations(durations: list[float], lines: list[str]) -> list[float]:
    """Each scene lengthened where needed to at least its line's spoken length + BREATH_S + TAIL_S."""
    if len(durations) != len(lines):
        raise ValueError(f"{len(durations)} scene durations for {len(lines)} lines")
    fitted = []
    for duration, line in zip(durations, lines, strict=True):
        need = spoken_length_s(line) + BREATH_S + TAIL_S if split_words(line) else 0.0
        # Rounded up to a tenth of a second so lengths stay readable and still cover the line.
        fitted.append(max(float(duration), math.ceil(need * 10 - 1e-9) / 10))
    return fitted


def fits(duration_s: float, line: str) -> bool:
    """Whether a scene of `duration_s` holds `line` with its breath and tail."""
    return not split_words(line) or duration_s + 1e-9 >= spoken_length_s(line) + BREATH_S + TAIL_S
