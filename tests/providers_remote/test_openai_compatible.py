"""Text from an OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp) set by OPENAI_BASE_URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reelsmith.errors import ProviderError
from reelsmith.prompts import json_schema_for
from reelsmith.providers import openai
from reelsmith.providers.base import TextRequest
from reelsmith.providers.endpoints import missing_setting
from reelsmith.providers.registry import ProviderRegistry
from tests.fakes.openai_compatible_fake import OpenAICompatibleFake


@pytest.fixture
def server() -> Iterator[OpenAICompatibleFake]:
    with OpenAICompatibleFake() as fake:
        yield fake


@pytest.fixture
def registry(
    server: OpenAICompatibleFake, make_registry: Callable[..., ProviderRegistry]
) -> ProviderRegistry:
    return make_registry(OPENAI_BASE_URL=server.base_url, openai_text_model="llama3.2")


def scenes() -> TextRequest:
    return TextRequest(
        "scenes", "You plan scenes.", "Brief: a harbour at dawn. Write exactly 3 scenes.", "scenes",
        json_schema_for("scenes"),
    )  # fmt: skip


def test_structured_output_without_an_api_key(
    registry: ProviderRegistry, server: OpenAICompatibleFake
) -> None:
    result = registry.text("openai").complete_json(scenes())
    assert result.data == server.chat_reply
    assert result.model == "llama3.2"
    assert (result.input_tokens, result.output_tokens) == (0, 0)  # the server sent no usage
    call = server.calls("chat")[0]
    assert "authorization" not in call.headers
    spec = call.json()["response_format"]
    assert spec["type"] == "json_schema"
    assert spec["json_schema"]["schema"] == json_schema_for("scenes")


def test_a_fenced_json_reply_is_unwrapped(registry: ProviderRegistry, server: OpenAICompatibleFake) -> None:
    server.fence_replies = True
    assert registry.text("openai").complete_json(scenes()).data == server.chat_reply


def test_a_model_named_in_the_chain_wins(
    server: OpenAICompatibleFake, make_registry: Callable[..., ProviderRegistry]
) -> None:
    server.models = ("qwen3:8b",)
    registry = make_registry(OPENAI_BASE_URL=server.base_url)
    assert registry.text("openai:qwen3:8b").complete_json(scenes()).model == "qwen3:8b"


def test_a_model_the_server_lacks_is_a_permanent_error_with_its_words(registry: ProviderRegistry) -> None:
    with pytest.raises(ProviderError, match="not found, try pulling it first") as info:
        registry.text("openai:mistral").complete_json(scenes())
    assert info.value.permanent


def test_only_openai_itself_needs_a_key(make_registry: Callable[..., ProviderRegistry]) -> None:
    assert (
        missing_setting("openai", make_registry(OPENAI_BASE_URL="http://127.0.0.1:11434/v1").settings) is None
    )
    assert missing_setting("openai", make_registry().settings) == "OPENAI_API_KEY"
    infos = {i.name: i for i in make_registry(OPENAI_BASE_URL="http://127.0.0.1:11434/v1").configured()}
    assert infos["openai"].configured


def test_check_asks_the_server_about_its_model(
    registry: ProviderRegistry, server: OpenAICompatibleFake
) -> None:
    assert openai.check_model(registry.http("openai"), "llama3.2") is None
    said = openai.check_model(registry.http("openai"), "mistral")
    assert said is not None
    assert "not installed" in said
