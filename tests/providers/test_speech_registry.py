"""The registry's speech models and what speaking costs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reelsmith.config import Settings
from reelsmith.errors import InvalidInput
from reelsmith.providers.elevenlabs import ElevenLabsSpeechModel
from reelsmith.providers.gemini_speech import GeminiSpeechModel
from reelsmith.providers.local.speech import LocalSpeechModel
from reelsmith.providers.pricing import speech_cost
from reelsmith.providers.registry import ProviderRegistry


@pytest.fixture
def registry(tmp_path: Path) -> ProviderRegistry:
    keys: dict[str, Any] = {"ELEVENLABS_API_KEY": "", "GEMINI_API_KEY": ""}
    return ProviderRegistry(Settings(data_dir=tmp_path, **keys))


def test_speech_models_by_chain_item_with_catalogue_defaults(registry: ProviderRegistry) -> None:
    assert isinstance(registry.speech("local"), LocalSpeechModel)
    eleven = registry.speech("elevenlabs")
    assert isinstance(eleven, ElevenLabsSpeechModel)
    assert eleven.model == "eleven_multilingual_v2"
    gemini = registry.speech("gemini:gemini-3.8-flash-lite-tts")
    assert isinstance(gemini, GeminiSpeechModel)
    assert gemini.model == "gemini-3.8-flash-lite-tts"
    assert registry.speech("local") is registry.speech("local")  # built once


def test_unknown_speech_provider_names_the_setting(registry: ProviderRegistry) -> None:
    with pytest.raises(InvalidInput, match="speech_providers"):
        registry.speech("openai")


def test_speech_is_priced_per_thousand_characters() -> None:
    assert speech_cost("elevenlabs", "eleven_multilingual_v2", 2000) == pytest.approx(0.2)
    assert speech_cost("elevenlabs", "eleven_flash_v2_5", 1000) == pytest.approx(0.05)
    assert speech_cost("local", "piper-en_US-joe-medium", 5000) == 0.0
    prices = '{"elevenlabs:eleven_v3": {"per_1k_chars": 0.3}}'
    assert speech_cost("elevenlabs", "eleven_v3", 1000, prices=prices) == pytest.approx(0.3)
