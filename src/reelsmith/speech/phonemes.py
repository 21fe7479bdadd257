"""Word timings from Piper's phoneme alignments.

Piper (with its `alignment` extra) reports how many audio samples each phoneme took. Phonemes
between spaces and punctuation form the spoken groups; espeak-ng sometimes joins short words into
one group ("in the" is said as one) and splits others ("2026" → four groups), so groups are not words.
Each word is therefore weighed by its own phoneme count (the word phonemized alone), and the words
are laid along the groups' phonemes in proportion: a word boundary that falls near a group boundary
snaps to it, so pauses between groups belong to no word; one that falls inside a joined group
divides it by phoneme count.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from reelsmith.providers.base import WordTiming

MARKERS = frozenset({"^", "$", "_"})  # sentence start/end and padding: no sound of their own
SEPARATORS = frozenset(" .,!?;:—…-\"'()")  # between groups (punctuation carries a pause)
SILENT_MARKS = frozenset("ˈˌːˑ")  # stress and length marks take time but are not phonemes
SNAP = 0.4  # a word boundary within this share of a word's weight of a group boundary snaps to it


@dataclass(frozen=True)
class PhonemeSpan:
    """One phoneme and when it sounds, in seconds from the start of the audio."""

    phoneme: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Group:
    """Phonemes said without a break: their span and how many phonemes they hold."""

    start_s: float
    end_s: float
    weight: int


def phoneme_weight(phonemes: Sequence[str]) -> int:
    """How many sounding phonemes a sequence holds (markers, separators and stress marks excluded)."""
    return sum(1 for p in phonemes if p not in MARKERS and p not in SEPARATORS and p not in SILENT_MARKS)


def groups_of(spans: Sequence[PhonemeSpan]) -> list[Group]:
    """The spoken groups of an utterance's phonemes, in order."""
    groups: list[Group] = []
    start: float | None = None
    end = 0.0
    weight = 0
    for span in spans:
        if span.phoneme in MARKERS or span.phoneme in SEPARATORS:
            if start is not None and weight:
                groups.append(Group(start, end, weight))
            start, weight = None, 0
            continue
        if start is None:
            start = span.start_s
        end = span.end_s
        if span.phoneme not in SILENT_MARKS:
            weight += 1
    if start is not None and weight:
        groups.append(Group(start, end, weight))
    return groups


def words_from_groups(
    words: Sequence[str], weights: Sequence[int], groups: Sequence[Group]
) -> tuple[WordTiming, ...]:
    """Lay `words` (each weighed by its own phoneme count) along the spoken `groups`."""
    if not words:
        return ()
    if not groups:
        raise ValueError("no spoken phonemes to align the words to")
    if len(groups) == len(words):
        return tuple(
            WordTiming(w, round(g.start_s, 3), round(g.end_s, 3)) for w, g in zip(words, groups, strict=True)
        )
    word_w = [max(1, w) for w in weights]
    total_g = float(sum(g.weight for g in groups))
    scale = total_g / sum(word_w)
    group_edges = [0.0]
    for g in groups:
        group_edges.append(group_edges[-1] + g.weight)
    # Each word boundary on the groups' phoneme axis: snapped to a group edge (index) or inside a group.
    cuts: list[tuple[float, int | None]] = []
    acc = 0.0
    last_edge = 0
    for i in range(len(words) - 1):
        acc += word_w[i] * scale
        near = min(range(1, len(groups)), key=lambda j: abs(group_edges[j] - acc), default=None)
        reach = SNAP * scale * min(word_w[i], word_w[i + 1])
        if near is not None and near > last_edge and abs(group_edges[near] - acc) <= reach:
            cuts.append((group_edges[near], near))
            last_edge = near
        else:
            cuts.append((acc, None))
    timings: list[WordTiming] = []
    start = groups[0].start_s
    for i, word in enumerate(words):
        if i < len(cuts):
            position, edge = cuts[i]
            if edge is not None:
                end, following = groups[edge - 1].end_s, groups[edge].start_s
            else:
                end = following = _time_at(position, groups, group_edges)
        else:
            end, following = groups[-1].end_s, groups[-1].end_s
        end = max(end, start + 0.02)
        timings.append(WordTiming(word, round(start, 3), round(end, 3)))
        start = max(following, end)
    return tuple(timings)


def _time_at(position: float, groups: Sequence[Group], edges: Sequence[float]) -> float:
    """The time at a point of the phoneme axis, interpolated inside its group."""
    j = min(len(groups) - 1, max(0, bisect.bisect_right(edges, position) - 1))
    g = groups[j]
    share = (position - edges[j]) / g.weight if g.weight else 0.0
    return g.start_s + (g.end_s - g.start_s) * min(1.0, max(0.0, share))
