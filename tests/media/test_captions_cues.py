"""Caption cues from word timings, and their SubRip and WebVTT text."""

from __future__ import annotations

import pytest

from reelsmith.errors import InvalidInput
from reelsmith.media.captions import Cue, caption_cues, to_srt, to_vtt
from reelsmith.media.captions.cues import LINGER_S
from reelsmith.providers.base import WordTiming


def words(*spec: tuple[str, float, float]) -> list[WordTiming]:
    return [WordTiming(w, a, b) for w, a, b in spec]


RUNNING = words(
    ("one", 0.0, 0.3), ("two", 0.35, 0.6), ("three", 0.65, 0.9), ("four", 0.95, 1.2), ("five", 1.25, 1.5)
)


def texts(cues: list[Cue]) -> list[str]:
    return [c.text for c in cues]


def test_cues_hold_at_most_max_words() -> None:
    assert texts(caption_cues(RUNNING)) == ["one two three", "four five"]
    assert texts(caption_cues(RUNNING, max_words=2)) == ["one two", "three four", "five"]


def test_a_long_pause_starts_a_new_cue() -> None:
    spoken = words(("wait", 0.0, 0.4), ("for", 1.2, 1.4), ("it", 1.45, 1.6))
    assert texts(caption_cues(spoken, max_gap_s=0.6)) == ["wait", "for it"]


def test_a_sentence_end_starts_a_new_cue() -> None:
    spoken = words(("Stop.", 0.0, 0.4), ("Look", 0.45, 0.7), ("around", 0.75, 1.1))
    assert texts(caption_cues(spoken)) == ["Stop.", "Look around"]


def test_a_cue_ends_where_the_next_starts_when_speech_runs_on() -> None:
    cues = caption_cues(RUNNING)
    assert cues[0].start_s == 0.0
    assert cues[0].end_s == RUNNING[3].start_s


def test_a_cue_before_a_pause_ends_shortly_after_its_last_word() -> None:
    spoken = words(("wait", 0.0, 0.4), ("now", 3.0, 3.3))
    cues = caption_cues(spoken)
    assert cues[0].end_s == pytest.approx(0.4 + LINGER_S)
    assert cues[1].end_s == pytest.approx(3.3 + LINGER_S)


def test_lingering_never_reaches_into_the_next_cue() -> None:
    spoken = words(("wait", 0.0, 0.4), ("now", 0.65, 0.9))
    cues = caption_cues(spoken, max_gap_s=0.2)
    assert texts(cues) == ["wait", "now"]
    assert cues[0].end_s == pytest.approx(0.65)


def test_blank_words_are_left_out() -> None:
    spoken = words(("hi", 0.0, 0.2), (" ", 0.2, 0.3), ("you", 0.3, 0.5))
    assert texts(caption_cues(spoken)) == ["hi you"]


@pytest.mark.parametrize(
    "bad",
    [
        words(("back", 1.0, 0.5)),
        words(("neg", -0.1, 0.2)),
        words(("late", 1.0, 1.2), ("early", 0.5, 0.7)),
    ],
)
def test_words_whose_times_do_not_run_forwards_are_refused(bad: list[WordTiming]) -> None:
    with pytest.raises(InvalidInput) as caught:
        caption_cues(bad)
    assert caught.value.field == "words"


def test_srt_numbers_cues_with_comma_stamps() -> None:
    cues = [Cue(0.0, 1.5, tuple(words(("Hello", 0.0, 0.5), ("there", 0.6, 1.0)))),
            Cue(3661.0, 3662.25, tuple(words(("late", 3661.0, 3662.0))))]  # fmt: skip
    assert to_srt(cues) == (
        "1\n00:00:00,000 --> 00:00:01,500\nHello there\n\n2\n01:01:01,000 --> 01:01:02,250\nlate\n"
    )


def test_vtt_has_its_header_and_dot_stamps() -> None:
    cues = caption_cues(RUNNING)
    assert to_vtt(cues) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:00.950\none two three\n\n00:00:00.950 --> 00:00:01.900\nfour five\n"
    )


def test_vtt_karaoke_marks_when_each_later_word_is_spoken() -> None:
    cues = caption_cues(RUNNING)
    text = to_vtt(cues, karaoke=True)
    assert "00:00:00.000 --> 00:00:00.950\none <00:00:00.350>two <00:00:00.650>three\n" in text
    assert "00:00:00.950 --> 00:00:01.900\nfour <00:00:01.250>five\n" in text


def test_vtt_escapes_markup_characters() -> None:
    cues = caption_cues(words(("R&D", 0.0, 0.4), ("<3", 0.5, 0.8)))
    assert "R&amp;D &lt;3\n" in to_vtt(cues)


def test_stamps_keep_a_cue_from_ending_before_it_starts() -> None:
    cue = Cue(1.0, 1.0002, tuple(words(("blink", 1.0, 1.0))))
    assert "00:00:01,000 --> 00:00:01,001" in to_srt([cue])
