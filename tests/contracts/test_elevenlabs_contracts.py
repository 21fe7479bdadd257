"""ElevenLabs: speech with timestamps and the voice list as the elevenlabs SDK sends them, against the
fake Reelsmith's adapter is tested on; the fake's replies parsed with the SDK's own types."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from reelsmith.providers.base import SpeechRequest
from reelsmith.providers.registry import ProviderRegistry
from tests.contracts.capture import sdk, shape
from tests.fakes.elevenlabs_fake import ElevenLabsFake

LINE = "Meet the scent of a summer night."
VOICE_ID = "JBFqnCBsd6RMkjVDRZzb"


@pytest.fixture
def fake() -> Iterator[ElevenLabsFake]:
    with ElevenLabsFake() as server:
        yield server


@pytest.fixture
def registry(fake: ElevenLabsFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(ELEVENLABS_API_KEY=fake.key, elevenlabs_base_url=fake.base_url)


@pytest.fixture
def client(fake: ElevenLabsFake) -> Any:
    """The official client on the fake's origin."""
    return sdk("elevenlabs").ElevenLabs(api_key=fake.key, base_url=fake.base_url)


# A model that takes `language_code` and one that the SDK says does not.
@pytest.mark.parametrize("model", ["eleven_flash_v2_5", "eleven_multilingual_v2"])
def test_speech_with_timestamps_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: ElevenLabsFake, client: Any, model: str
) -> None:
    registry.speech(f"elevenlabs:{model}").speak(SpeechRequest(LINE, voice=VOICE_ID, language="en-GB"))
    ours = fake.calls("speak")[-1]
    body = ours.json()
    client.text_to_speech.convert_with_timestamps(VOICE_ID, output_format=ours.query["output_format"], **body)
    theirs = fake.calls("speak")[-1]
    assert shape(ours) == shape(theirs)
    assert ours.query == theirs.query
    assert ours.json() == theirs.json()
    assert ("language_code" in body) == (model == "eleven_flash_v2_5")


def test_speech_reply_parses_as_the_sdk_type(
    registry: ProviderRegistry, fake: ElevenLabsFake, client: Any
) -> None:
    ours = registry.speech("elevenlabs").speak(SpeechRequest(LINE, voice=VOICE_ID))
    reply = client.text_to_speech.convert_with_timestamps(
        VOICE_ID, text=LINE, model_id="eleven_multilingual_v2", output_format="mp3_44100_128"
    )
    # The SDK's models are unchecked (a missing field parses as absent), so each field is looked at.
    assert base64.b64decode(reply.audio_base_64) == ours.audio
    alignment = reply.alignment
    assert "".join(alignment.characters) == LINE
    # The adapter's first word starts with the SDK's first character; its last ends with the last letter.
    assert ours.words[0].start_s == alignment.character_start_times_seconds[0]
    assert ours.words[-1].end_s == alignment.character_end_times_seconds[-2]


def test_voice_list_is_read_as_the_sdk_reads_it(
    registry: ProviderRegistry, fake: ElevenLabsFake, client: Any
) -> None:
    ours = registry.speech("elevenlabs").voices()
    theirs = client.voices.get_all()
    first, second = fake.calls("voices")[-2:]
    assert shape(first) == shape(second)
    assert [v.name for v in ours] == [v.name for v in theirs.voices]
    assert all(v.voice_id in info.description for v, info in zip(theirs.voices, ours, strict=True))
