"""The words of a spoken line, and character timings (as ElevenLabs returns them) grouped into words.

A word is a run of non-space characters that holds at least one letter or digit; punctuation stays
attached to its word ("night." is one word) because captions show it that way. A token of
punctuation alone ("—") is no word: it joins the word before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reelsmith.providers.base import WordTiming

_VOWEL_GROUPS = re.compile(r"[aeiouyàáâäèéêëìíîïòóôöùúûüæœ]+", re.IGNORECASE)
_LETTERS = re.compile(r"\w", re.UNICODE)
# Punctuation that ends a phrase: a speaker usually pauses after it.
PHRASE_END = (".", ",", "!", "?", ";", ":", "…", "—")


def is_word(token: str) -> bool:
    """True when `token` holds a letter or a digit (a lone dash or quote is not spoken)."""
    return any(ch.isalnum() for ch in token)


def split_words(text: str) -> list[str]:
    """The words of `text` in order, each with its punctuation attached."""
    words: list[str] = []
    for token in text.split():
        if is_word(token):
            words.append(token)
        elif words:
            words[-1] += token
    return words


def syllables(word: str) -> int:
    """A rough syllable count (vowel groups; a digit counts as two, as numbers are said in words)."""
    digits = sum(ch.isdigit() for ch in word)
    groups = len(_VOWEL_GROUPS.findall(word))
    if word.lower().rstrip(".,!?;:").endswith("e") and groups > 1:
        groups -= 1  # a silent final e
    return max(1, groups + 2 * digits)


def speaking_weight(word: str) -> float:
    """How long a word takes to say relative to others: its letters plus a little for each syllable."""
    letters = len(_LETTERS.findall(word)) + 3 * sum(ch.isdigit() for ch in word)
    return letters + 1.5 * syllables(word)


def group_characters(
    characters: Sequence[str], starts: Sequence[float], ends: Sequence[float]
) -> tuple[WordTiming, ...]:
    """Words from per-character times: each word runs from its first character's start to its last's end.

    Whitespace separates words; punctuation-only tokens join the word before them (without moving
    its end, which is when the word's last letter is heard).
    """
    if not (len(characters) == len(starts) == len(ends)):
        raise ValueError(
            f"alignment lists differ in length: {len(characters)} characters, "
            f"{len(starts)} starts, {len(ends)} ends"
        )
    words: list[WordTiming] = []
    token = ""
    first = last = 0.0
    for ch, start, end in zip(characters, starts, ends, strict=True):
        if ch.isspace():
            _close(words, token, first, last)
            token = ""
            continue
        if not token:
            first = float(start)
        token += ch
        if ch.isalnum():
            last = float(end)
    _close(words, token, first, last)
    return tuple(words)


def _close(words: list[WordTiming], token: str, start: float, end: float) -> None:
    if not token:
        return
    if is_word(token):
        words.append(WordTiming(token, start, max(start, end)))
    elif words:
        prev = words[-1]
        words[-1] = WordTiming(prev.word + token, prev.start_s, prev.end_s)
