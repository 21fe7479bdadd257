"""The Gemini TTS adapter against a fake that speaks generateContent with inline PCM audio."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelsmith.config import Settings
from reelsmith.errors import ProviderError
from reelsmith.providers.base import SpeechModel, SpeechRequest
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.speech.audio import read_wav
from reelsmith.speech.words import split_words
from tests.fakes.gemini_speech_fake import RATE, GeminiSpeechFake

LINE = "Every day here was quiet. Then, one day, everything changed for the keeper."


@pytest.fixture
def fake() -> Iterator[GeminiSpeechFake]:
    with GeminiSpeechFake() as server:
        yield server


@pytest.fixture
def make_model(fake: GeminiSpeechFake, tmp_path: Path) -> Callable[..., SpeechModel]:
    """The registry's Gemini speech model pointed at the fake."""

    def build(item: str = "gemini") -> SpeechModel:
        values: dict[str, Any] = {
            "GEMINI_API_KEY": fake.key,
            "gemini_base_url": fake.base_url,
            "provider_retries": 1,
            "provider_timeout_s": 5.0,
        }
        return ProviderRegistry(Settings(data_dir=tmp_path, **values), http_sleep=lambda s: None).speech(item)

    return build


def test_speak_is_one_call_returning_wav(
    fake: GeminiSpeechFake, make_model: Callable[..., SpeechModel]
) -> None:
    result = make_model().speak(SpeechRequest(LINE))
    assert len(fake.calls("generate")) == 1
    assert result.audio_suffix == ".wav"
    samples, rate = read_wav(result.audio)
    assert rate == RATE
    assert len(samples) / rate == pytest.approx(result.duration_s, abs=0.01)
    assert result.duration_s == pytest.approx(fake.spans[-1][2] + 0.2, abs=0.01)
    assert result.model == "gemini-3.8-flash-tts"
    assert result.voice == "Kore"


def test_request_asks_for_audio_in_the_chosen_voice(
    fake: GeminiSpeechFake, make_model: Callable[..., SpeechModel]
) -> None:
    make_model().speak(SpeechRequest("Hello.", voice="Puck"))
    call = fake.calls("generate")[0]
    assert call.path == "/v1beta/models/gemini-3.8-flash-tts:generateContent"
    assert call.headers["x-goog-api-key"] == fake.key
    assert call.json() == {
        "contents": [{"role": "user", "parts": [{"text": "Hello."}]}],
        "generationConfig": {
            "responseModalities": ["AUDIO"],
            "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}}},
        },
    }


def test_derived_word_timings_land_on_the_spoken_words(
    fake: GeminiSpeechFake, make_model: Callable[..., SpeechModel]
) -> None:
    result = make_model().speak(SpeechRequest(LINE))
    assert [w.word for w in result.words] == split_words(LINE)
    for word, (_, start, end) in zip(result.words, fake.spans, strict=True):
        assert word.start_s == pytest.approx(start, abs=0.06), word
        assert word.end_s == pytest.approx(end, abs=0.08), word


def test_unknown_voice_is_a_permanent_error(make_model: Callable[..., SpeechModel]) -> None:
    with pytest.raises(ProviderError, match="not supported") as info:
        make_model().speak(SpeechRequest("Hello.", voice="Nobody"))
    assert info.value.permanent


def test_voices_are_the_prebuilt_ones(make_model: Callable[..., SpeechModel]) -> None:
    names = {v.name for v in make_model().voices()}
    assert {"Kore", "Puck", "Charon"} <= names
    assert len(names) == 30
