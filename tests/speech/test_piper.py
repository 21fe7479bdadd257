"""The offline voice: Piper speaks, its word timings, and the audio-only aligner measured against them."""

from __future__ import annotations

import functools
import itertools

import pytest

from reelsmith.errors import ProviderError
from reelsmith.providers.base import SpeechRequest, SpeechResult
from reelsmith.providers.local.speech import LocalSpeechModel
from reelsmith.speech.align import align_words, voiced_spans
from reelsmith.speech.audio import read_wav
from reelsmith.speech.words import split_words
from tests.support import wait_until

LINE = "Meet the scent of a summer night in the city. It lingers, and you will remember it."
# Measured on this voice: the aligner's word starts are 50-90 ms from Piper's on average (Piper's own
# output varies a little from run to run, hence the margin).
ALIGNER_MEAN_ERROR_S = 0.15


@functools.cache
def spoken() -> SpeechResult:
    """The line spoken once per test process (synthesis costs about a second)."""
    return LocalSpeechModel().speak(SpeechRequest(LINE))


def test_piper_speaks_a_wav_with_every_word_timed() -> None:
    result = spoken()
    samples, rate = read_wav(result.audio)
    assert result.audio_suffix == ".wav"
    assert result.duration_s == pytest.approx(len(samples) / rate, abs=0.01)
    assert [w.word for w in result.words] == split_words(LINE)
    assert result.model == "piper-en_US-joe-medium"
    assert result.voice == "joe"


def test_piper_word_timings_are_monotonic_and_cover_the_speech() -> None:
    result = spoken()
    words = result.words
    assert all(w.end_s > w.start_s for w in words)
    assert all(a.end_s <= b.start_s + 1e-6 for a, b in itertools.pairwise(words))
    samples, rate = read_wav(result.audio)
    voiced = voiced_spans(samples, rate)
    # The first word starts where sound starts (within 80 ms). The last ends where sound stops or a little
    # after: its final consonant's release is too quiet to count as voiced (11-93 ms later over 40 runs,
    # Piper's output varying from run to run), so up to 150 ms after, never before.
    assert words[0].start_s == pytest.approx(voiced[0][0], abs=0.08)
    assert 0.0 <= words[-1].end_s - voiced[-1][1] <= 0.15
    assert words[-1].end_s <= result.duration_s


def test_aligner_on_piper_audio_agrees_with_piper_timings() -> None:
    result = spoken()
    samples, rate = read_wav(result.audio)
    derived = align_words([w.word for w in result.words], samples, rate)
    errors = [abs(a.start_s - b.start_s) for a, b in zip(result.words, derived, strict=True)]
    print(
        f"aligner vs Piper: mean {sum(errors) / len(errors) * 1000:.0f} ms, max {max(errors) * 1000:.0f} ms"
    )
    assert sum(errors) / len(errors) < ALIGNER_MEAN_ERROR_S
    assert all(a.end_s <= b.start_s + 1e-6 for a, b in itertools.pairwise(derived))


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SpeechRequest("Bonjour à tous", language="fr"), "English only"),
        (SpeechRequest("Hello", voice="amy"), "unknown voice"),
        (SpeechRequest(" — "), "no words"),
    ],
)
def test_requests_the_offline_voice_cannot_serve_are_permanent_errors(
    request_: SpeechRequest, message: str
) -> None:
    with pytest.raises(ProviderError, match=message) as info:
        LocalSpeechModel().speak(request_)
    assert info.value.permanent


def test_warming_loads_the_voice_in_the_background_once() -> None:
    from reelsmith.providers.local import speech

    speech._voice.cache_clear()
    speech.warm_voice()
    speech.warm_voice()  # while loading: no second load
    wait_until(lambda: speech._voice.cache_info().currsize == 1, timeout_s=120)
    assert speech._voice.cache_info().misses == 1
