"""Words of a line, and ElevenLabs-style character timings grouped into words."""

from __future__ import annotations

import pytest

from reelsmith.speech.words import group_characters, split_words


def test_split_words_keeps_punctuation_and_drops_lone_marks() -> None:
    assert split_words("Meet the scent — of summer, tonight!") == [
        "Meet",
        "the",
        "scent—",
        "of",
        "summer,",
        "tonight!",
    ]


def test_characters_group_into_words_from_first_start_to_last_letter_end() -> None:
    text = "Hi there, you."
    starts = [0.1 * i for i in range(len(text))]
    ends = [s + 0.08 for s in starts]
    words = group_characters(list(text), starts, ends)
    assert [w.word for w in words] == ["Hi", "there,", "you."]
    assert words[0].word == "Hi"
    assert (words[0].start_s, words[0].end_s) == pytest.approx((0.0, 0.18))
    # A word's end is its last letter's, not its trailing punctuation's.
    assert words[1].start_s == pytest.approx(0.3)
    assert words[1].end_s == pytest.approx(0.78)


def test_punctuation_token_joins_the_word_before() -> None:
    text = "Go - now"
    words = group_characters(list(text), [float(i) for i in range(8)], [i + 0.5 for i in range(8)])
    assert [w.word for w in words] == ["Go-", "now"]


def test_mismatched_alignment_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        group_characters(["a", "b"], [0.0], [0.1, 0.2])
