"""Gemini adapters (generateContent JSON, Veo operations) against the fake Gemini API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelsmith.errors import ProviderError
from reelsmith.prompts import json_schema_for
from reelsmith.providers.base import TextRequest
from reelsmith.providers.gemini import to_gemini_schema
from reelsmith.providers.registry import ProviderRegistry
from tests.fakes.drive import clip_request, run_clip
from tests.fakes.gemini_fake import GeminiFake
from tests.fakes.server import CdnServer, status_fault


@pytest.fixture
def fake(sample_mp4: bytes, cdn: CdnServer) -> Iterator[GeminiFake]:
    with GeminiFake(sample_mp4, cdn) as server:
        yield server


@pytest.fixture
def registry(fake: GeminiFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(GEMINI_API_KEY=fake.key, gemini_base_url=fake.base_url)


def _keys(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        return set(schema) | {k for v in schema.values() for k in _keys(v)}
    if isinstance(schema, list):
        return {k for v in schema for k in _keys(v)}
    return set()


def test_schema_conversion_keeps_the_openapi_subset() -> None:
    converted = to_gemini_schema(json_schema_for("align"))
    assert "additionalProperties" not in _keys(converted)
    assert converted["type"] == "OBJECT"
    assert converted["propertyOrdering"] == ["style_anchor", "characters", "scenes"]
    item = converted["properties"]["scenes"]["items"]
    assert item["type"] == "OBJECT"
    assert item["properties"]["index"]["type"] == "INTEGER"
    assert to_gemini_schema({"type": ["string", "null"]}) == {"nullable": True, "type": "STRING"}


def test_text_json_reply(registry: ProviderRegistry, fake: GeminiFake) -> None:
    request = TextRequest("story", "sys", "a story", "story", json_schema_for("story"))
    result = registry.text("gemini").complete_json(request)
    assert result.data == fake.reply
    assert result.input_tokens == 80
    assert result.output_tokens == 30
    body = fake.calls("generate")[0].json()
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    assert "additionalProperties" not in _keys(body["generationConfig"]["responseSchema"])
    assert body["systemInstruction"]["parts"][0]["text"] == "sys"
    assert fake.calls("generate")[0].path.endswith("/models/gemini-3.8-flash:generateContent")


def test_text_blocked_prompt_is_permanent(registry: ProviderRegistry) -> None:
    request = TextRequest("story", "sys", "forbidden words", "story", json_schema_for("story"))
    with pytest.raises(ProviderError, match="PROHIBITED_CONTENT") as info:
        registry.text("gemini").complete_json(request)
    assert info.value.permanent


def test_resource_exhausted_is_retried(
    registry: ProviderRegistry, fake: GeminiFake, sleeps: list[float]
) -> None:
    fake.inject("generate", status_fault(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}))
    registry.text("gemini").complete_json(TextRequest("story", "s", "u", "story", json_schema_for("story")))
    assert len(sleeps) == 1


def test_veo_submit_poll_fetch_follows_the_redirect(
    registry: ProviderRegistry, fake: GeminiFake, cdn: CdnServer, tmp_path: Path, sample_mp4: bytes
) -> None:
    dest = tmp_path / "clip.mp4"
    statuses = run_clip(registry.video("gemini"), clip_request(duration_s=5.2, aspect="1:1"), dest)
    assert [s.state for s in statuses] == ["running", "running", "succeeded"]
    assert statuses[0].poll_after_s == 10.0
    assert dest.read_bytes() == sample_mp4
    body = fake.calls("predict")[0].json()
    assert body["parameters"] == {
        "sampleCount": 1, "durationSeconds": 6, "aspectRatio": "16:9", "negativePrompt": "blurry, watermark",
    }  # fmt: skip
    assert "Avoid" not in body["instances"][0]["prompt"]
    assert fake.calls("predict")[0].headers["idempotency-key"] == "clip:scene-1:1"
    assert fake.calls("download")[0].headers["x-goog-api-key"] == fake.key
    assert "x-goog-api-key" not in cdn.calls("file")[0].headers


def test_veo_inline_video(
    registry: ProviderRegistry, fake: GeminiFake, tmp_path: Path, sample_mp4: bytes
) -> None:
    fake.inline_video = True
    run_clip(registry.video("gemini"), clip_request(), tmp_path / "clip.mp4")
    assert (tmp_path / "clip.mp4").read_bytes() == sample_mp4


def test_veo_reference_image_is_sent_inline(
    registry: ProviderRegistry, fake: GeminiFake, reference_png: Path
) -> None:
    registry.video("gemini").submit(clip_request(reference_images=(reference_png,)))
    image = fake.calls("predict")[0].json()["instances"][0]["image"]
    assert image["mimeType"] == "image/png"
    assert len(image["bytesBase64Encoded"]) > 100


def test_veo_safety_filter_is_permanent_with_reason(registry: ProviderRegistry, tmp_path: Path) -> None:
    statuses = run_clip(registry.video("gemini"), clip_request(prompt="forbidden"), tmp_path / "x.mp4")
    assert statuses[-1].state == "failed"
    assert statuses[-1].permanent
    assert "usage guidelines" in (statuses[-1].reason or "")


def test_bad_key_is_permanent(fake: GeminiFake, make_registry: Callable[..., ProviderRegistry]) -> None:
    registry = make_registry(GEMINI_API_KEY="nope", gemini_base_url=fake.base_url)
    with pytest.raises(ProviderError, match="API key not valid") as info:
        registry.video("gemini").submit(clip_request())
    assert info.value.permanent


def test_missing_key(make_registry: Callable[..., ProviderRegistry]) -> None:
    with pytest.raises(ProviderError, match=r"^gemini: GEMINI_API_KEY is not set$"):
        make_registry().video("gemini").submit(clip_request())
