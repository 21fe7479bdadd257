"""The ElevenLabs speech adapter against a fake that speaks its documented protocol."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelsmith.config import Settings
from reelsmith.errors import ProviderError
from reelsmith.providers.base import SpeechModel, SpeechRequest
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.speech.audio import decode_audio
from reelsmith.speech.words import split_words
from tests.fakes.elevenlabs_fake import ElevenLabsFake, word_spans
from tests.fakes.server import status_fault

LINE = "Meet the scent of a summer night, and remember it."


@pytest.fixture
def fake() -> Iterator[ElevenLabsFake]:
    with ElevenLabsFake() as server:
        yield server


@pytest.fixture
def make_model(fake: ElevenLabsFake, tmp_path: Path) -> Callable[..., SpeechModel]:
    """The registry's ElevenLabs model pointed at the fake (backoff sleeps recorded, not slept)."""

    def build(item: str = "elevenlabs", key: str | None = None) -> SpeechModel:
        values: dict[str, Any] = {
            "ELEVENLABS_API_KEY": fake.key if key is None else key,
            "elevenlabs_base_url": fake.base_url,
            "provider_retries": 2,
            "provider_timeout_s": 5.0,
        }
        return ProviderRegistry(Settings(data_dir=tmp_path, **values), http_sleep=lambda s: None).speech(item)

    return build


def test_speak_is_one_call_with_words_from_the_character_times(
    fake: ElevenLabsFake, make_model: Callable[..., SpeechModel]
) -> None:
    result = make_model().speak(SpeechRequest(LINE))
    assert len(fake.calls("speak")) == 1
    assert [w.word for w in result.words] == split_words(LINE)
    expected = word_spans(LINE)
    for word, (token, start, end) in zip(result.words, expected, strict=True):
        # A word ends with its last letter; trailing punctuation takes one more character's time.
        assert (word.start_s, word.end_s) == pytest.approx(
            (start, end - (0.065 if token[-1] in ".," else 0.0))
        )
    assert result.audio_suffix == ".mp3"
    samples, rate = decode_audio(result.audio, ".mp3")
    assert len(samples) / rate == pytest.approx(result.duration_s, abs=0.01)
    assert result.duration_s == pytest.approx(expected[-1][2] + 0.2, abs=0.06)


def test_request_carries_key_model_and_output_format(
    fake: ElevenLabsFake, make_model: Callable[..., SpeechModel]
) -> None:
    make_model("elevenlabs:eleven_flash_v2_5").speak(SpeechRequest("Hello there.", language="en"))
    call = fake.calls("speak")[0]
    assert call.path == "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/with-timestamps"
    assert call.headers["xi-api-key"] == fake.key
    assert call.query == {"output_format": "mp3_44100_128"}
    assert call.json() == {"text": "Hello there.", "model_id": "eleven_flash_v2_5", "language_code": "en"}


def test_multilingual_v2_is_sent_no_language_code(
    fake: ElevenLabsFake, make_model: Callable[..., SpeechModel]
) -> None:
    make_model().speak(SpeechRequest("Hola.", language="es"))
    assert "language_code" not in fake.calls("speak")[0].json()


def test_normalized_alignment_is_used_when_alignment_is_missing(
    fake: ElevenLabsFake, make_model: Callable[..., SpeechModel]
) -> None:
    fake.drop_alignment = True
    result = make_model().speak(SpeechRequest(LINE))
    assert [w.word for w in result.words] == split_words(LINE)


def test_a_voice_named_by_name_is_looked_up_once(
    fake: ElevenLabsFake, make_model: Callable[..., SpeechModel]
) -> None:
    model = make_model()
    for _ in range(2):
        assert model.speak(SpeechRequest("Good evening.", voice="george")).voice == "george"
    assert len(fake.calls("voices")) == 1
    assert [c.path for c in fake.calls("speak")] == [
        "/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/with-timestamps"
    ] * 2


def test_unknown_voice_name_is_permanent(make_model: Callable[..., SpeechModel]) -> None:
    with pytest.raises(ProviderError, match="no voice named 'Nobody'") as info:
        make_model().speak(SpeechRequest("Hi.", voice="Nobody"))
    assert info.value.permanent


def test_a_429_is_retried_then_spoken(fake: ElevenLabsFake, make_model: Callable[..., SpeechModel]) -> None:
    fake.inject("speak", status_fault(429, Retry_After="0"))
    assert make_model().speak(SpeechRequest("Again.")).words
    assert len(fake.calls("speak")) == 2


def test_missing_key_fails_permanently_without_a_call(
    fake: ElevenLabsFake, make_model: Callable[..., SpeechModel]
) -> None:
    with pytest.raises(ProviderError, match="ELEVENLABS_API_KEY is not set") as info:
        make_model(key="").speak(SpeechRequest("Hi."))
    assert info.value.permanent
    assert fake.calls("speak") == []


def test_voices_lists_names_languages_and_ids(make_model: Callable[..., SpeechModel]) -> None:
    voices = {v.name: v for v in make_model().voices()}
    assert set(voices) == {"Rachel", "George"}
    assert voices["George"].language == "en-GB"
    assert "JBFqnCBsd6RMkjVDRZzb" in voices["George"].description
