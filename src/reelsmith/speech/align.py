"""Word timings derived from audio alone, for speech providers that return none (Gemini TTS).

How: the known text is laid onto the audio's loudness. Frame energy (25 ms windows every 10 ms)
marks voiced stretches; silences of at least `PAUSE_S` split them into phrases. Words are shared
among phrases in order by dynamic programming, so that each phrase's length matches the speaking
time its words need (letters plus syllables, `speaking_weight`) and phrase breaks fall after
punctuation where they can. Inside a phrase words get time in proportion to their weight, and each
boundary then moves to the quietest frame nearby, where one word lets go of the next.

Why this and not a recogniser: the words are known, only their times are missing, and a forced
aligner would mean an acoustic model per language downloaded at run time. Pauses and energy dips
are language-independent and cost a few milliseconds per line. Piper's own phoneme alignments are
preferred where available (`phonemes.py`); this aligner is the fallback, and a test measures it
against those alignments.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from reelsmith.providers.base import WordTiming
from reelsmith.speech.audio import Samples
from reelsmith.speech.words import PHRASE_END, speaking_weight

FRAME_S = 0.010
WINDOW_S = 0.025
PAUSE_S = 0.14  # a silence at least this long separates phrases
BRIDGE_S = 0.06  # a shorter silence is inside a word (a stop consonant), not between phrases
SILENCE_DB = 32.0  # frames this far below the loudest are silent
SNAP_S = 0.08  # how far a boundary may move towards a quieter frame
# A phrase break after a word without punctuation is allowed but costs this much.
_UNPUNCTUATED_BREAK = 0.15

Span = tuple[float, float]


def energy_db(samples: Samples, rate: int) -> npt.NDArray[np.float64]:
    """Loudness of each 10 ms frame (25 ms window) in dB relative to full scale."""
    hop, window = max(1, round(FRAME_S * rate)), max(1, round(WINDOW_S * rate))
    count = max(1, math.ceil(len(samples) / hop))
    padded = np.concatenate([samples.astype(np.float64), np.zeros(window, dtype=np.float64)])
    squares = np.concatenate([[0.0], np.cumsum(padded * padded)])
    starts = np.arange(count) * hop
    power = (squares[starts + window] - squares[starts]) / window
    db: npt.NDArray[np.float64] = 10.0 * np.log10(power + 1e-12)
    return db


def voiced_spans(samples: Samples, rate: int) -> list[Span]:
    """Stretches of sound, in seconds, with silences shorter than `BRIDGE_S` bridged."""
    db = energy_db(samples, rate)
    if not len(db) or db.max() < -70.0:
        return []
    voiced = db > max(db.max() - SILENCE_DB, -60.0)
    spans: list[Span] = []
    start: int | None = None
    for i, on in enumerate([*voiced.tolist(), False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            spans.append((start * FRAME_S, i * FRAME_S + WINDOW_S - FRAME_S))
            start = None
    end_s = len(samples) / rate
    bridged = _merge(spans, BRIDGE_S)
    return [(s, min(e, end_s)) for s, e in bridged if e - s >= 0.03]


def _merge(spans: Sequence[Span], gap_s: float) -> list[Span]:
    merged: list[Span] = []
    for start, end in spans:
        if merged and start - merged[-1][1] < gap_s:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def phrases(samples: Samples, rate: int, max_count: int) -> list[Span]:
    """Voiced stretches split at pauses of `PAUSE_S` or more, merged across the shortest pauses
    until there are at most `max_count` (a phrase holds at least one word)."""
    found = _merge(voiced_spans(samples, rate), PAUSE_S)
    while len(found) > max(1, max_count):
        gaps = [found[i + 1][0] - found[i][1] for i in range(len(found) - 1)]
        i = int(np.argmin(gaps))
        found[i : i + 2] = [(found[i][0], found[i + 1][1])]
    return found


def align_words(words: Sequence[str], samples: Samples, rate: int) -> tuple[WordTiming, ...]:
    """Timings of `words` (spoken in order) in `samples`, derived from the audio's loudness."""
    if not words:
        return ()
    total_s = len(samples) / rate if rate else 0.0
    spans = phrases(samples, rate, len(words)) or [(0.0, max(total_s, 0.01 * len(words)))]
    weights = [speaking_weight(w) for w in words]
    groups = _share(words, weights, spans)
    db = energy_db(samples, rate)
    voiced = voiced_spans(samples, rate)
    timings: list[WordTiming] = []
    for (start, end), (first, last) in zip(spans, groups, strict=True):
        bounds = _spread(weights[first:last], start, end)
        gaps = [(a[1], b[0]) for a, b in itertools.pairwise(voiced) if start <= a[1] and b[0] <= end]
        starts, ends = bounds[:-1], bounds[1:]
        for k in range(1, len(bounds) - 1):
            gap = _nearest_gap(bounds[k], gaps, bounds[k] - starts[k - 1], ends[k] - bounds[k], starts[k - 1])
            if gap is not None:  # a silence between the two words: one ends at it, the next after it
                ends[k - 1], starts[k] = gap
                gaps = [g for g in gaps if g[0] > gap[0]]
            else:
                ends[k - 1] = starts[k] = _snap(bounds[k], db, starts[k - 1], ends[k])
        for k, word in enumerate(words[first:last]):
            timings.append(WordTiming(word, round(starts[k], 3), round(max(ends[k], starts[k] + 0.02), 3)))
    return tuple(timings)


def _nearest_gap(t: float, gaps: Sequence[Span], left_s: float, right_s: float, floor: float) -> Span | None:
    """The silence inside a phrase nearest to boundary `t`, if one lies within reach of it."""
    reach = 0.5 * min(left_s, right_s) + SNAP_S
    near = [g for g in gaps if g[0] > floor and abs((g[0] + g[1]) / 2 - t) <= reach]
    return min(near, key=lambda g: abs((g[0] + g[1]) / 2 - t)) if near else None


def _share(words: Sequence[str], weights: Sequence[float], spans: Sequence[Span]) -> list[tuple[int, int]]:
    """Which words each phrase holds: contiguous runs, at least one word each, by least squared
    log-ratio between a phrase's length and the time its words need."""
    n, m = len(words), len(spans)
    seconds_per_weight = sum(e - s for s, e in spans) / sum(weights)
    prefix = np.concatenate([[0.0], np.cumsum(weights)])
    inf = float("inf")
    cost = np.full((m + 1, n + 1), inf)
    back = np.zeros((m + 1, n + 1), dtype=int)
    cost[0, 0] = 0.0
    for j in range(1, m + 1):
        length = spans[j - 1][1] - spans[j - 1][0]
        for b in range(j, n - (m - j) + 1):
            for a in range(j - 1, b):
                if cost[j - 1, a] == inf:
                    continue
                need = seconds_per_weight * (prefix[b] - prefix[a])
                c = math.log(max(length, 1e-3) / max(need, 1e-3)) ** 2
                if j < m and not words[b - 1].endswith(PHRASE_END):
                    c += _UNPUNCTUATED_BREAK
                if cost[j - 1, a] + c < cost[j, b]:
                    cost[j, b] = cost[j - 1, a] + c
                    back[j, b] = a
    runs: list[tuple[int, int]] = []
    b = n
    for j in range(m, 0, -1):
        a = int(back[j, b])
        runs.append((a, b))
        b = a
    return runs[::-1]


def _spread(weights: Sequence[float], start: float, end: float) -> list[float]:
    """Boundaries that give each word time in proportion to its weight."""
    total = sum(weights)
    bounds, acc = [start], 0.0
    for w in weights:
        acc += w
        bounds.append(start + (end - start) * acc / total)
    return bounds


def _snap(t: float, db: npt.NDArray[np.float64], lo: float, hi: float) -> float:
    """Move a word boundary to the quietest frame within `SNAP_S`, staying inside its neighbours."""
    reach = min(SNAP_S, (t - lo) * 0.5, (hi - t) * 0.5)
    first = max(0, int((t - reach) / FRAME_S))
    last = min(len(db) - 1, int((t + reach) / FRAME_S))
    if last <= first:
        return t
    quietest = first + int(np.argmin(db[first : last + 1]))
    here = db[min(len(db) - 1, int(t / FRAME_S))]
    # Half a window later is the frame's centre; only a clear dip is worth moving for.
    return quietest * FRAME_S + WINDOW_S / 2 if db[quietest] < here - 3.0 else t
