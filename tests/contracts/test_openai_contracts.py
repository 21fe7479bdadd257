"""OpenAI: chat completions in json_schema mode, image generations and the model lookup, as the
openai SDK sends them, against the fake that Reelsmith's adapters are tested on; the fake's replies
parsed with the SDK's own response types."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from reelsmith.prompts import json_schema_for
from reelsmith.providers.base import ImageRequest, TextRequest
from reelsmith.providers.openai import check_model
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.vocabulary import AspectRatio
from tests.contracts.capture import sdk, shape
from tests.fakes.openai_fake import OpenAIFake

TEXT_MODEL = "gpt-6-luna"
IMAGE_MODEL = "gpt-image-2"


@pytest.fixture
def fake(sample_mp4: bytes) -> Iterator[OpenAIFake]:
    with OpenAIFake(sample_mp4) as server:
        yield server


@pytest.fixture
def registry(fake: OpenAIFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(OPENAI_API_KEY=fake.key, openai_base_url=fake.base_url)


@pytest.fixture
def client(fake: OpenAIFake) -> Any:
    """The official client pointed at the fake, without retries."""
    return sdk("openai").OpenAI(
        api_key=fake.key, base_url=fake.base_url, max_retries=0, _strict_response_validation=True
    )


def story() -> TextRequest:
    return TextRequest(
        "story", "You write short films.", "a kite festival", "story", json_schema_for("story")
    )


def test_chat_json_schema_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: OpenAIFake, client: Any
) -> None:
    registry.text(f"openai:{TEXT_MODEL}").complete_json(story())
    ours = fake.calls("chat")[-1]
    body = ours.json()
    client.chat.completions.create(
        model=body["model"], messages=body["messages"], response_format=body["response_format"]
    )
    theirs = fake.calls("chat")[-1]
    assert shape(ours) == shape(theirs)
    assert ours.json() == theirs.json()
    assert body["response_format"]["json_schema"]["strict"] is True


def test_chat_reply_parses_as_the_sdk_type(registry: ProviderRegistry, fake: OpenAIFake, client: Any) -> None:
    ours = registry.text(f"openai:{TEXT_MODEL}").complete_json(story())
    completion = client.chat.completions.create(
        model=TEXT_MODEL,
        messages=[{"role": "user", "content": "a kite festival"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "story", "schema": json_schema_for("story"), "strict": True},
        },
    )
    message = completion.choices[0].message
    assert message.refusal is None
    assert json.loads(message.content) == fake.chat_reply
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (
        ours.input_tokens,
        ours.output_tokens,
    )
    assert completion.model == ours.model


def test_images_generate_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: OpenAIFake, client: Any, tmp_path: Path
) -> None:
    registry.image(f"openai:{IMAGE_MODEL}").generate_image(
        ImageRequest("a red kite over dunes", aspect=AspectRatio.LANDSCAPE), tmp_path / "ours.png"
    )
    ours = fake.calls("images")[-1]
    client.images.generate(**ours.json())
    theirs = fake.calls("images")[-1]
    assert shape(ours) == shape(theirs)
    assert ours.json() == theirs.json()
    assert ours.json()["model"] == IMAGE_MODEL


def test_image_reply_parses_as_the_sdk_type(client: Any, tmp_path: Path) -> None:
    reply = client.images.generate(model=IMAGE_MODEL, prompt="a red kite", n=1, size="1024x1024")
    path = tmp_path / "theirs.png"
    path.write_bytes(base64.b64decode(reply.data[0].b64_json))
    with Image.open(path) as image:
        assert image.format == "PNG"


def test_model_lookup_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: OpenAIFake, client: Any
) -> None:
    fake.shutdown_dates[TEXT_MODEL] = "2027-03-01"
    warning = check_model(registry.http("openai"), TEXT_MODEL, today=dt.date(2026, 11, 27))
    ours = fake.calls("model")[-1]
    model = client.models.retrieve(TEXT_MODEL)
    theirs = fake.calls("model")[-1]
    assert shape(ours) == shape(theirs)
    assert (ours.method, ours.path) == ("GET", f"/v1/models/{TEXT_MODEL}")
    # The SDK's Model type carries the announced shutdown the adapter warns about.
    assert model.shutdown_date == "2027-03-01"
    assert warning == "deprecated: shuts down 2027-03-01"
