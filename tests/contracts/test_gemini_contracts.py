"""Gemini: generateContent for JSON text, images and speech, and the Interactions API's create, get and
cancel, as google-genai sends them, against the fakes Reelsmith's adapters are tested on; the fakes'
replies parsed with the SDK's own types.

google-genai 3.x drives the Interactions API with an API key and a base URL, so the interactions
are compared against its client, not only its pydantic types. It sends some nested generateContent
fields in snake_case (`speechConfig.voice_config`), which the API reads as it reads lowerCamelCase:
field names are compared with the two spellings taken as one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelsmith.prompts import json_schema_for
from reelsmith.providers.base import ImageRequest, SpeechRequest, TextRequest
from reelsmith.providers.gemini import served_model
from reelsmith.providers.gemini_video import GeminiVideoModel, output_video
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.vocabulary import AspectRatio
from tests.contracts.capture import sdk, shape
from tests.fakes.drive import clip_request
from tests.fakes.gemini_fake import GeminiFake
from tests.fakes.gemini_speech_fake import RATE, GeminiSpeechFake
from tests.fakes.server import CdnServer

TEXT_MODEL = "gemini-3.8-flash"
IMAGE_MODEL = "gemini-nano-banana-2.1"
SPEECH_MODEL = "gemini-3.8-flash-tts"
VIDEO_MODEL = "gemini-omni-1.1-flash"
LINE = "The tide came in at noon."


def client_for(fake: GeminiFake | GeminiSpeechFake) -> Any:
    """google-genai's client on the fake's origin and the API version Reelsmith uses, without retries."""
    sdk("google.genai")
    from google import genai
    from google.genai import types

    options = types.HttpOptions(
        base_url=fake.url, api_version="v1beta", retry_options=types.HttpRetryOptions(attempts=1)
    )
    return genai.Client(api_key=fake.key, http_options=options)


@pytest.fixture
def fake(sample_mp4: bytes, cdn: CdnServer) -> Iterator[GeminiFake]:
    with GeminiFake(sample_mp4, cdn, polls_needed=2) as server:
        yield server


@pytest.fixture
def registry(fake: GeminiFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(GEMINI_API_KEY=fake.key, gemini_base_url=fake.base_url)


@pytest.fixture
def client(fake: GeminiFake) -> Any:
    return client_for(fake)


# -- generateContent: JSON text ----------------------------------------------------------------------


def test_json_text_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: GeminiFake, client: Any
) -> None:
    from google.genai import types

    schema = json_schema_for("story")
    registry.text(f"gemini:{TEXT_MODEL}").complete_json(
        TextRequest("story", "You write short films.", "a kite festival", "story", schema)
    )
    ours = fake.calls("generate")[-1]
    config = types.GenerateContentConfig(
        # A Content without a role: the adapter sends none, and the API needs none for instructions.
        system_instruction=types.Content(parts=[types.Part(text="You write short films.")]),
        response_mime_type="application/json",
        response_json_schema=schema,
    )
    client.models.generate_content(model=TEXT_MODEL, contents="a kite festival", config=config)
    theirs = fake.calls("generate")[-1]
    assert shape(ours, proto=True) == shape(theirs, proto=True)
    assert ours.json() == theirs.json()


def test_json_text_reply_parses_as_the_sdk_type(
    registry: ProviderRegistry, fake: GeminiFake, client: Any
) -> None:
    fake.status[TEXT_MODEL] = {"modelStage": "DEPRECATED", "retirementTime": "2027-02-01T00:00:00Z"}
    reply = client.models.generate_content(
        model=TEXT_MODEL,
        contents="a kite festival",
        config={"response_mime_type": "application/json", "response_json_schema": json_schema_for("story")},
    )
    assert reply.parsed == fake.reply
    # What the SDK reads from the reply is what the adapter reads from the same reply.
    ours = served_model(reply.model_dump(mode="json", by_alias=True, exclude_none=True), TEXT_MODEL)
    assert (ours.served, ours.stage, ours.retirement[:10]) == (
        reply.model_version,
        reply.model_status.model_stage.value,
        "2027-02-01",
    )
    assert ours.warning() == "deprecated; shuts down 2027-02-01"


# -- generateContent: images --------------------------------------------------------------------------


def test_image_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: GeminiFake, client: Any, tmp_path: Path
) -> None:
    from google.genai import types

    registry.image(f"gemini:{IMAGE_MODEL}").generate_image(
        ImageRequest("a red kite over dunes", aspect=AspectRatio.LANDSCAPE), tmp_path / "ours.png"
    )
    ours = fake.calls("generate")[-1]
    config = types.GenerateContentConfig(
        response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="16:9", image_size="1K")
    )
    reply = client.models.generate_content(model=IMAGE_MODEL, contents="a red kite over dunes", config=config)
    theirs = fake.calls("generate")[-1]
    assert shape(ours, proto=True) == shape(theirs, proto=True)
    assert ours.json() == theirs.json()
    image = reply.candidates[0].content.parts[0].inline_data
    assert image.mime_type == "image/png"
    assert (tmp_path / "ours.png").read_bytes()[:8] == image.data[:8] == b"\x89PNG\r\n\x1a\n"


# -- generateContent: speech ---------------------------------------------------------------------------


@pytest.fixture
def speech_fake() -> Iterator[GeminiSpeechFake]:
    with GeminiSpeechFake() as server:
        yield server


def test_speech_is_sent_as_the_sdk_sends_it(
    speech_fake: GeminiSpeechFake, make_registry: Callable[..., ProviderRegistry]
) -> None:
    from google.genai import types

    registry = make_registry(GEMINI_API_KEY=speech_fake.key, gemini_base_url=speech_fake.base_url)
    registry.speech(f"gemini:{SPEECH_MODEL}").speak(SpeechRequest(LINE, voice="Puck"))
    ours = speech_fake.calls("generate")[-1]
    voice = types.VoiceConfig(prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name="Puck"))
    config = types.GenerateContentConfig(
        response_modalities=["AUDIO"], speech_config=types.SpeechConfig(voice_config=voice)
    )
    client = client_for(speech_fake)  # held: the SDK closes its connection when the client is collected
    reply = client.models.generate_content(model=SPEECH_MODEL, contents=LINE, config=config)
    theirs = speech_fake.calls("generate")[-1]
    assert shape(ours, proto=True) == shape(theirs, proto=True)
    audio = reply.candidates[0].content.parts[0].inline_data
    assert audio.mime_type == f"audio/L16;codec=pcm;rate={RATE}"
    assert audio.data
    assert len(audio.data) % 2 == 0  # whole 16-bit samples


# -- Interactions: create, get, cancel -----------------------------------------------------------------


def video(registry: ProviderRegistry) -> GeminiVideoModel:
    model = registry.video(f"gemini:{VIDEO_MODEL}")
    assert isinstance(model, GeminiVideoModel)
    return model


def test_interaction_create_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: GeminiFake, client: Any, reference_png: Path
) -> None:
    request = clip_request(reference_images=(reference_png,), webhook_url="https://example.test/hooks/g")
    video(registry).submit(request)
    ours = fake.calls("create_interaction")[-1]
    body = ours.json()
    created = client.interactions.create(**body)
    theirs = fake.calls("create_interaction")[-1]
    assert shape(ours) == shape(theirs)
    assert ours.json() == theirs.json()
    assert body["generation_config"]["video_config"]["task"] == "image_to_video"
    assert created.status == "in_progress"


def test_interaction_get_is_sent_as_the_sdk_sends_it_and_its_video_read_alike(
    registry: ProviderRegistry, fake: GeminiFake, client: Any
) -> None:
    model = video(registry)
    handle = model.submit(clip_request())
    states = [model.poll(handle.external_id).state for _ in range(fake.polls_needed)]
    ours = fake.calls("get_interaction")[-1]
    interaction = client.interactions.get(handle.external_id)
    theirs = fake.calls("get_interaction")[-1]
    # The SDK adds `?stream=false`; the API streams only when asked.
    assert (ours.method, ours.path, shape(ours).auth) == (theirs.method, theirs.path, shape(theirs).auth)
    assert states == ["running", "succeeded"]
    assert interaction.status == "completed"
    ours_video = output_video(registry.http("gemini").json("GET", f"interactions/{handle.external_id}"))
    assert ours_video is not None
    assert interaction.output_video.uri == ours_video["uri"]


def test_interaction_cancel_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: GeminiFake, client: Any
) -> None:
    model = video(registry)
    handle = model.submit(clip_request())
    model.cancel(handle.external_id)
    cancelled = client.interactions.cancel(handle.external_id)
    ours, theirs = fake.calls("cancel_interaction")[-2:]
    assert shape(ours) == shape(theirs)
    assert ours.path == f"/v1beta/interactions/{handle.external_id}/cancel"
    assert cancelled.status == "cancelled"
    assert model.poll(handle.external_id).state == "failed"


def test_a_failed_interaction_reads_alike(registry: ProviderRegistry, fake: GeminiFake, client: Any) -> None:
    model = video(registry)
    handle = model.submit(clip_request(prompt=f"a {fake.policy_word} likeness"))
    for _ in range(fake.polls_needed):
        status = model.poll(handle.external_id)
    interaction = client.interactions.get(handle.external_id)
    assert interaction.status == "failed" == status.state
    assert status.reason == interaction.errors[0].message
